"""Moderation queries: the queue, its exports, the authors' view and the audit log.

Read-only: these functions load and shape what the pages show; every write is in services.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from consult.accounts.models import User, UserRole
from consult.consultations.models import Contribution
from consult.core.models import AuditEvent
from consult.core.permissions import Role
from consult.core.sanitize import plain_text
from consult.core.spreadsheet import csv_text
from consult.extensions import db
from consult.moderation.models import Flag, ModerationDecision, ModerationStatus
from consult.moderation.rules import State


def flags_of(contribution: Contribution) -> list[Flag]:
    """The flags on a contribution, oldest first."""
    return list(
        db.session.scalars(
            select(Flag).where(Flag.contribution_id == contribution.id).order_by(Flag.id)
        )
    )


def has_flagged(user: User, contribution: Contribution) -> bool:
    """True when this person already flagged this contribution."""
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Flag)
            .where(Flag.contribution_id == contribution.id, Flag.user_id == user.id)
        )
    )


# --- the queue -------------------------------------------------------------------------------


@dataclass
class QueueFilters:
    """What the moderator narrowed the queue to."""

    consultation_id: int | None = None
    question_id: int | None = None
    state: str | None = "review"
    min_flags: int | None = None
    personal_data: bool = False
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None

    def as_args(self) -> dict:
        """The filters as query-string arguments (for links and pagination)."""
        args = {
            "consultation": self.consultation_id,
            "question": self.question_id,
            "state": self.state,
            "min_flags": self.min_flags,
            "personal_data": "1" if self.personal_data else None,
            "from": self.submitted_from.date().isoformat() if self.submitted_from else None,
            "to": self.submitted_to.date().isoformat() if self.submitted_to else None,
        }
        return {k: v for k, v in args.items() if v not in (None, "")}


def _queue_conditions(filters: QueueFilters) -> list:
    """The WHERE clauses of a filtered queue."""
    conditions = [Contribution.withdrawn_at.is_(None), Contribution.body != ""]
    if filters.consultation_id:
        conditions.append(Contribution.consultation_id == filters.consultation_id)
    if filters.question_id:
        conditions.append(Contribution.question_id == filters.question_id)
    if filters.state == "review":
        conditions.append(ModerationStatus.needs_review.is_(True))
    elif filters.state in {s.value for s in State}:
        conditions.append(Contribution.state == filters.state)
    if filters.min_flags:
        conditions.append(ModerationStatus.flag_count >= filters.min_flags)
    if filters.personal_data:
        conditions.append(ModerationStatus.has_personal_data.is_(True))
    if filters.submitted_from:
        conditions.append(ModerationStatus.submitted_at >= filters.submitted_from)
    if filters.submitted_to:
        conditions.append(ModerationStatus.submitted_at < filters.submitted_to)
    return conditions


def queue(filters: QueueFilters, *, page: int = 1, per_page: int = 50):
    """One page of the moderation queue, oldest first (most flagged first among flagged)."""
    conditions = _queue_conditions(filters)
    base = select(ModerationStatus).join(ModerationStatus.contribution).where(and_(*conditions))
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    items = db.session.scalars(
        base.options(
            selectinload(ModerationStatus.contribution).selectinload(Contribution.question),
            selectinload(ModerationStatus.contribution).selectinload(Contribution.population),
            selectinload(ModerationStatus.contribution).selectinload(Contribution.region),
            selectinload(ModerationStatus.contribution).selectinload(Contribution.consultation),
            selectinload(ModerationStatus.last_decision),
        )
        .order_by(
            ModerationStatus.flag_count.desc(),
            ModerationStatus.submitted_at,
            ModerationStatus.contribution_id,
        )
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return items, total


def next_in_queue(after_id: int) -> int | None:
    """The contribution a moderator meets next in the queue (in its order), other than the one
    just decided, or None when nothing waits for review."""
    return db.session.scalar(
        select(ModerationStatus.contribution_id)
        .join(ModerationStatus.contribution)
        .where(
            and_(*_queue_conditions(QueueFilters())), ModerationStatus.contribution_id != after_id
        )
        .order_by(
            ModerationStatus.flag_count.desc(),
            ModerationStatus.submitted_at,
            ModerationStatus.contribution_id,
        )
        .limit(1)
    )


#: The most items one "apply to all" decides, so that a request stays short.
BULK_LIMIT = 5000


def queue_selection(filters: QueueFilters, limit: int | None = None) -> list[tuple[int, int]]:
    """(id, version) of the items matching the filters, oldest first: "apply to all"."""
    limit = limit or BULK_LIMIT
    return [
        (row.contribution_id, row.version)
        for row in db.session.execute(
            select(ModerationStatus.contribution_id, ModerationStatus.version)
            .join(ModerationStatus.contribution)
            .where(and_(*_queue_conditions(filters)))
            .order_by(ModerationStatus.contribution_id)
            .limit(limit)
        )
    ]


def queue_counts() -> dict[str, int]:
    """How many items await review, and how many are flagged."""
    visible = and_(Contribution.withdrawn_at.is_(None), Contribution.body != "")
    review = db.session.scalar(
        select(func.count())
        .select_from(ModerationStatus)
        .join(ModerationStatus.contribution)
        .where(visible, ModerationStatus.needs_review.is_(True))
    )
    flagged = db.session.scalar(
        select(func.count())
        .select_from(ModerationStatus)
        .join(ModerationStatus.contribution)
        .where(visible, ModerationStatus.flag_count > 0)
    )
    return {"review": review or 0, "flagged": flagged or 0}


def decisions_of(contribution: Contribution) -> list[ModerationDecision]:
    """Every decision on a contribution, oldest first."""
    return list(
        db.session.scalars(
            select(ModerationDecision)
            .where(ModerationDecision.contribution_id == contribution.id)
            .options(selectinload(ModerationDecision.actor))
            .order_by(ModerationDecision.id)
        )
    )


def decided_by(decision: ModerationDecision, contribution: Contribution, *, show_author: bool):
    """Who a history line names: a moderator by name, the author only to those who may see it.

    Returns a name, AUTHOR (the author acted: a submission or resubmission), or None (the
    platform). The author's own actions would otherwise put their name on the moderator's page.
    """
    if decision.actor is None:
        return None
    if decision.actor_id == contribution.author_id and not show_author:
        return AUTHOR
    return decision.actor.display_name or decision.actor.email


#: What `decided_by` answers when the author acted and the reader may not know who that is.
AUTHOR = object()


def may_see_author(user: User) -> bool:
    """Only administrators see who wrote a contribution; moderators see the profile."""
    return user.has_role(Role.ADMINISTRATOR)


def queue_csv(filters: QueueFilters, *, show_author: bool) -> str:
    """The filtered queue as CSV (plain text of each contribution, formulas neutralised)."""
    header = ["id", "consultation", "question", "state", "flags", "personal_data", "submitted_at"]
    header += ["author"] if show_author else []
    items, _total = queue(filters, page=1, per_page=10_000)
    rows = []
    for status in items:
        c = status.contribution
        row = [
            c.id,
            c.consultation.title,
            plain_text(c.question.prompt),
            c.state,
            status.flag_count,
            ",".join(status.personal_data or []),
            status.submitted_at.isoformat(timespec="minutes"),
        ]
        row += [c.author.email] if show_author else []
        rows.append([*row, plain_text(c.body)])
    return csv_text([*header, "text"], rows)


# --- authors ---------------------------------------------------------------------------------


def authored(user: User) -> list[ModerationStatus]:
    """The statuses of this person's texts, newest first, with their last decision."""
    return list(
        db.session.scalars(
            select(ModerationStatus)
            .join(ModerationStatus.contribution)
            .where(
                Contribution.author_id == user.id,
                Contribution.withdrawn_at.is_(None),
                Contribution.body != "",
            )
            .options(
                selectinload(ModerationStatus.last_decision),
                selectinload(ModerationStatus.contribution).selectinload(Contribution.question),
                selectinload(ModerationStatus.contribution).selectinload(Contribution.consultation),
            )
            .order_by(ModerationStatus.submitted_at.desc(), ModerationStatus.contribution_id.desc())
        )
    )


# --- audit log -------------------------------------------------------------------------------


@dataclass
class AuditFilters:
    """What an administrator narrowed the moderation log to."""

    action: str | None = None
    actor_id: int | None = None
    contribution_id: int | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def as_args(self) -> dict:
        """The filters as query-string arguments."""
        args = {
            "action": self.action,
            "actor": self.actor_id,
            "contribution": self.contribution_id,
            "from": self.occurred_from.date().isoformat() if self.occurred_from else None,
            "to": self.occurred_to.date().isoformat() if self.occurred_to else None,
        }
        return {k: v for k, v in args.items() if v not in (None, "")}


def _audit_query(filters: AuditFilters):
    """Moderation events matching the filters, newest first."""
    query = select(AuditEvent).where(AuditEvent.action.like("moderation.%"))
    if filters.action:
        query = query.where(AuditEvent.action == f"moderation.{filters.action}")
    if filters.actor_id:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.contribution_id:
        query = query.where(
            AuditEvent.subject_type == "contribution",
            AuditEvent.subject_id == filters.contribution_id,
        )
    if filters.occurred_from:
        query = query.where(AuditEvent.occurred_at >= filters.occurred_from)
    if filters.occurred_to:
        query = query.where(AuditEvent.occurred_at < filters.occurred_to)
    return query.order_by(AuditEvent.id.desc())


def audit_log(filters: AuditFilters, *, page: int = 1, per_page: int = 50):
    """One page of the moderation log, with the actors' names; returns (rows, total)."""
    query = _audit_query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    events = db.session.scalars(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    names = _actor_names(e.actor_id for e in events)
    return [(e, names.get(e.actor_id)) for e in events], total


def _actor_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Display names (or e-mails) of the people who acted."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {
        u.id: u.display_name or u.email
        for u in db.session.scalars(select(User).where(User.id.in_(wanted)))
    }


def audit_csv(filters: AuditFilters) -> str:
    """The moderation log as CSV, every column a spreadsheet cannot run."""
    header = [
        "id",
        "occurred_at",
        "actor",
        "action",
        "subject",
        "subject_id",
        "before",
        "after",
        "reason",
    ]
    rows = []
    events = db.session.scalars(_audit_query(filters)).all()
    names = _actor_names(e.actor_id for e in events)
    for e in events:
        row = [
            e.id,
            e.occurred_at.isoformat(timespec="seconds"),
            names.get(e.actor_id, ""),
            e.action,
            e.subject_type,
            e.subject_id,
            _compact(e.before),
            _compact(e.after),
            e.reason or "",
        ]
        rows.append(row)
    return csv_text(header, rows)


def _compact(value: dict | None) -> str:
    """A small JSON object as "key=value" pairs."""
    if not value:
        return ""
    return ", ".join(f"{k}={v}" for k, v in value.items())


def moderators_and_admins() -> list[User]:
    """People who can act in the moderation log (for the actor filter)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role.in_([Role.MODERATOR, Role.ADMINISTRATOR]))
            .order_by(User.display_name, User.email)
            .distinct()
        )
    )
