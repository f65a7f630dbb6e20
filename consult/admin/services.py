"""What the administration home shows: what waits for someone, and who holds which role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from consult.extensions import db

#: Failed background jobs are mentioned for this long.
RECENT_FAILURES = timedelta(days=7)


@dataclass(frozen=True)
class Attention:
    """One count on the home page, with the page where it is dealt with."""

    key: str
    count: int
    endpoint: str


def attention(now: datetime) -> list[Attention]:
    """Counts of what waits for someone across the areas (zero counts included)."""
    from consult.analysis.models import AnalysisJob
    from consult.assembly.models import Resolution
    from consult.consultations.models import Consultation
    from consult.moderation.models import ModerationStatus
    from consult.panels.models import PanelProject

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    published = Consultation.status == "published"
    return [
        Attention(
            "moderation", count(ModerationStatus, ModerationStatus.needs_review), "moderation.queue"
        ),
        Attention(
            "open_consultations",
            count(
                Consultation, published, Consultation.opens_at <= now, Consultation.closes_at > now
            ),
            "consultations.organise",
        ),
        Attention(
            "draft_consultations",
            count(Consultation, Consultation.status == "draft"),
            "consultations.organise",
        ),
        Attention("open_votes", count(Resolution, Resolution.status == "open"), "assembly.index"),
        Attention(
            "draws_waiting",
            count(PanelProject, PanelProject.status == "committed"),
            "panels.organise",
        ),
        Attention(
            "failed_jobs",
            count(
                AnalysisJob,
                AnalysisJob.status == "failed",
                AnalysisJob.finished_at >= now - RECENT_FAILURES,
            ),
            "analysis.index",
        ),
    ]


def role_counts() -> dict[str, int]:
    """How many active accounts hold each role."""
    from consult.accounts.models import User, UserRole

    rows = db.session.execute(
        select(UserRole.role, func.count())
        .join(User, User.id == UserRole.user_id)
        .where(User.active)
        .group_by(UserRole.role)
    )
    return dict(rows.all())
