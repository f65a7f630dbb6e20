"""Moderation records: per-contribution status, decisions, flags and suspensions."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.consultations.models import Contribution
from consult.extensions import db

STATES_SQL = "('pending', 'published', 'rejected', 'hidden')"
ACTIONS_SQL = "('approve', 'reject', 'hide', 'restore', 'flag_threshold', 'resubmit', 'submit')"


class ModerationStatus(db.Model):
    """What moderators know about one contribution, and the guard against double decisions."""

    __tablename__ = "moderation_status"
    __table_args__ = (
        CheckConstraint("flag_count >= 0", name="flag_count"),
        CheckConstraint("version >= 0", name="version"),
        Index("ix_moderation_status_queue", "needs_review", "flag_count"),
    )

    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), primary_key=True
    )
    #: Bumped by every decision; a decision names the version it saw, so the second of two
    #: simultaneous decisions finds a newer version and is refused.
    version: Mapped[int] = mapped_column(default=0)
    #: True while a moderator must look at it (pending, or hidden by flags).
    needs_review: Mapped[bool] = mapped_column(default=False)
    #: How many participants flagged it since it was last published.
    flag_count: Mapped[int] = mapped_column(default=0)
    #: Kinds of personal data found in the submitted text ("email", "phone", "nir", "address").
    personal_data: Mapped[list] = mapped_column(JSON, default=list)
    #: True while the body (what would be published) still holds personal data; False once a
    #: moderator published the masked version.
    has_personal_data: Mapped[bool] = mapped_column(default=False, index=True)
    #: The text as the author wrote it, when a masked version replaced it in the contribution's
    #: body; shown to moderators only.
    original_body: Mapped[str | None] = mapped_column(Text)
    #: When the author last submitted (or resubmitted) the text: the queue's date.
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    #: Last decision, shown to the author with its reason when rejected or hidden.
    last_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_decision.id", ondelete="SET NULL")
    )

    contribution: Mapped[Contribution] = relationship(lazy="joined", innerjoin=True)
    last_decision: Mapped["ModerationDecision | None"] = relationship(
        foreign_keys=[last_decision_id]
    )


class ModerationDecision(db.Model):
    """One state change of a contribution: append-only, so nothing a moderator did is lost."""

    __tablename__ = "moderation_decision"
    __table_args__ = (
        CheckConstraint(f"action IN {ACTIONS_SQL}", name="action"),
        CheckConstraint(f"to_state IN {STATES_SQL}", name="to_state"),
        Index("ix_moderation_decision_contribution", "contribution_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contribution.id", ondelete="CASCADE"))
    #: The moderator, the author (resubmit) or None for the platform (flag threshold).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: One of consult.moderation.rules.Action, or "submit" for the first state.
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    #: Reason code from the configured list, and free text ("other" or a note).
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    #: True when the moderator published the masked version of the text.
    masked: Mapped[bool] = mapped_column(default=False)
    decided_at: Mapped[datetime] = mapped_column(index=True)

    actor: Mapped[User | None] = relationship()


class Flag(db.Model):
    """A participant's report of a published contribution: once per person and contribution."""

    __tablename__ = "moderation_flag"
    __table_args__ = (UniqueConstraint("contribution_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason_code: Mapped[str] = mapped_column(String(40))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class Suspension(db.Model):
    """A participant barred from contributing and flagging, for a reason, until an end date."""

    __tablename__ = "moderation_suspension"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window"),
        Index("ix_moderation_suspension_user", "user_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason_code: Mapped[str] = mapped_column(String(40))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    #: In force from starts_at (inclusive) to ends_at (exclusive), naive UTC.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Set when a moderator ends the suspension early.
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
