"""The shared append-only audit log."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.extensions import db


class AuditEvent(db.Model):
    """One thing that happened, kept for ever: rows are only ever inserted."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When it happened (naive UTC).
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    #: Who did it; None for the system (imports, scheduled closes).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: What was done, as "area.verb" (e.g. "moderation.reject").
    action: Mapped[str] = mapped_column(String(80), index=True)
    #: The kind and id of what it was done to.
    subject_type: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[int | None]
    #: State before and after (small JSON objects), and the stated reason.
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class OutgoingMail(db.Model):
    """An e-mail waiting to be sent: written in the transaction that decided to send it.

    A message leaves only once that transaction has committed (an invitation never goes out for
    an account that was rolled back), at the rate the mail server accepts. The body may hold a
    one-time link, so a row is deleted as soon as its message is sent.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    #: Failed attempts so far; a message is given up after MAIL_MAX_ATTEMPTS.
    attempts: Mapped[int] = mapped_column(default=0)
    #: The last failure, for the administrator.
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Extra header lines ({"List-Unsubscribe": "<https://...>"}), None for most messages.
    headers: Mapped[dict | None] = mapped_column(JSON)
    #: A message written when it is delivered (consult.core.mail.queue_composed): the name of
    #: its composer and what it needs; subject and body are empty until then.
    composer: Mapped[str | None] = mapped_column(String(80))
    composer_data: Mapped[dict | None] = mapped_column(JSON)
