"""The mission committee's own work: sessions (date, agenda, minutes), the annual opinion (avis)
written in versions and published, and the public timeline of key dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role, has_any_role
from consult.extensions import db
from consult.mission.models import (
    CommitteeSession,
    IndicatorValue,
    Objective,
    Opinion,
    OpinionVersion,
)

MEMBERS = (Role.COMMITTEE,)


def _require_member(actor) -> None:
    """Refuse anyone who does not sit on the committee."""
    if not has_any_role(actor, MEMBERS):
        raise RuleError(_l("Only committee members do this."))


def sessions() -> list[CommitteeSession]:
    """Every session, latest first."""
    return list(
        db.session.scalars(
            select(CommitteeSession).order_by(
                CommitteeSession.held_on.desc(), CommitteeSession.id.desc()
            )
        )
    )


def save_session(
    actor,
    session: CommitteeSession | None,
    *,
    now: datetime,
    held_on: date,
    title: str,
    place: str = "",
    agenda: str = "",
    minutes: str = "",
) -> CommitteeSession:
    """Plan a session or write its minutes."""
    _require_member(actor)
    if not title.strip():
        raise RuleError(_l("Give the session a title."), field="title")
    if session is None:
        session = CommitteeSession(
            created_at=now, created_by_id=getattr(actor, "id", None), held_on=held_on
        )
        db.session.add(session)
    session.held_on = held_on
    session.title = title.strip()[:200]
    session.place = place.strip()[:200]
    session.agenda = agenda.strip()
    session.minutes = minutes.strip()
    session.updated_at = now
    db.session.flush()
    audit.record(actor, "mission.session_save", session, now=now, after={"title": session.title})
    return session


def opinions(published_only: bool) -> list[Opinion]:
    """The annual opinions, latest year first."""
    query = select(Opinion).order_by(Opinion.year.desc())
    if published_only:
        query = query.where(Opinion.status == "published")
    return list(db.session.scalars(query))


def write_opinion(
    actor, opinion: Opinion | None, *, now: datetime, year: int, title: str, body: str, note=""
) -> Opinion:
    """Start the opinion of a year, or add a version of its text (versions are only added)."""
    _require_member(actor)
    if not body.strip():
        raise RuleError(_l("Write the opinion's text."), field="body")
    if opinion is None:
        if db.session.scalar(select(Opinion.id).where(Opinion.year == year)):
            raise RuleError(_l("The opinion of this year is already started."), field="year")
        opinion = Opinion(year=year, title=title.strip()[:200], status="draft", created_at=now)
        db.session.add(opinion)
    elif opinion.status == "published":
        raise RuleError(_l("This opinion is published: it can no longer change."))
    opinion.title = title.strip()[:200] or opinion.title
    number = 1 + max((v.number for v in opinion.versions), default=0)
    version = OpinionVersion(
        number=number,
        body=body.strip(),
        note=note.strip()[:300],
        author_id=getattr(actor, "id", None),
        created_at=now,
    )
    opinion.versions.append(version)
    db.session.flush()
    audit.record(actor, "mission.opinion_version", opinion, now=now, after={"version": number})
    return opinion


def publish_opinion(actor, opinion: Opinion, *, now: datetime) -> Opinion:
    """Publish the latest version: it becomes public and the opinion is frozen."""
    _require_member(actor)
    if opinion.status == "published":
        raise RuleError(_l("This opinion is already published."))
    if not opinion.versions:
        raise RuleError(_l("Write the opinion's text first."))
    opinion.status = "published"
    opinion.published_at = now
    opinion.published_number = opinion.versions[-1].number
    db.session.flush()
    audit.record(
        actor,
        "mission.opinion_publish",
        opinion,
        now=now,
        after={"version": opinion.published_number},
    )
    return opinion


def published_text(opinion: Opinion) -> OpinionVersion | None:
    """The version that was published."""
    return next((v for v in opinion.versions if v.number == opinion.published_number), None)


@dataclass(frozen=True)
class Milestone:
    """A key date of the mission, for the public timeline."""

    day: date
    kind: str
    label: str


def timeline() -> list[Milestone]:
    """From the vote on: adoptions, committee sessions, opinions published, audits."""
    milestones: dict[tuple, Milestone] = {}
    for objective in db.session.scalars(select(Objective)):
        if objective.adopted_on:
            key = ("vote", objective.adopted_on)
            milestones[key] = Milestone(
                objective.adopted_on, "vote", str(_l("The general assembly adopts the objectives"))
            )
    for session in db.session.scalars(select(CommitteeSession)):
        milestones[("session", session.id)] = Milestone(session.held_on, "session", session.title)
    for opinion in db.session.scalars(select(Opinion).where(Opinion.status == "published")):
        milestones[("opinion", opinion.id)] = Milestone(
            opinion.published_at.date(), "opinion", opinion.title
        )
    audited = db.session.scalars(
        select(IndicatorValue.audited_at).where(IndicatorValue.audited_at.is_not(None))
    )
    for day in {moment.date() for moment in audited}:
        milestones[("audit", day)] = Milestone(
            day, "audit", str(_l("The independent auditor checks the values"))
        )
    return sorted(milestones.values(), key=lambda m: (m.day, m.kind))
