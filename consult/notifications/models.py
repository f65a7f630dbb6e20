"""Notifications sent to people, and the e-mails they asked not to receive."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.extensions import db

KINDS = ("consultation_open", "closing_soon", "results_published", "panel_session", "vote_open")
_KINDS_SQL = "(" + ", ".join(f"'{k}'" for k in KINDS) + ")"
MAIL_STATES = ("queued", "skipped")


class Notification(db.Model):
    """One thing a person is told about, once: the unique key makes the scheduled scan
    idempotent (running it twice, or in two processes, never tells anyone twice)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "subject_type", "subject_id"),
        CheckConstraint(f"kind IN {_KINDS_SQL}", name="kind"),
        CheckConstraint("mail_status IN ('queued', 'skipped')", name="mail_status"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: One of KINDS.
    kind: Mapped[str] = mapped_column(String(30))
    #: What it is about ("consultation", "panel_session", "resolution") and its id.
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    #: Values the message needs (title, date as ISO 8601 UTC, place), fixed when it was made.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Where the person goes to act on it (a path on this site).
    url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    #: When the person saw it in the app.
    read_at: Mapped[datetime | None]
    #: queued (its e-mail is in the outbox, see consult.core.mail) or skipped (opted out).
    mail_status: Mapped[str] = mapped_column(String(10), default="queued")


class NotificationOptOut(db.Model):
    """A kind of notification a person no longer wants by e-mail (they still see it in the app)."""

    __tablename__ = "notification_opt_out"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    #: One of KINDS.
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    created_at: Mapped[datetime]
