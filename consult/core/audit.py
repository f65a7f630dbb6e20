"""The one writer of the audit log."""

from consult.core.models import AuditEvent
from consult.extensions import db


def record(actor, action: str, subject, *, now, before=None, after=None, reason=None) -> AuditEvent:
    """Append what happened to the audit log; `subject` is a model instance or ("type", id)."""
    if isinstance(subject, tuple):
        subject_type, subject_id = subject
    else:
        subject_type, subject_id = subject.__tablename__, subject.id
    event = AuditEvent(
        occurred_at=now,
        actor_id=getattr(actor, "id", None),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
        reason=reason,
    )
    db.session.add(event)
    return event
