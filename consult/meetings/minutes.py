"""Minutes of a meeting: drafted, approved, published to everyone or to its participants."""

from datetime import datetime

from consult.accounts.models import User
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.sanitize import clean_html, plain_text
from consult.extensions import db
from consult.meetings import rules
from consult.meetings.models import Meeting, MeetingMinutes, Registration

MAX_MINUTES_LENGTH = 100_000


def save_minutes(
    actor: User, meeting: Meeting, *, body: str, visibility: str, now: datetime
) -> MeetingMinutes:
    """Write or correct the draft; correcting approved minutes makes them a draft again."""
    if meeting.status != "published":
        raise RuleError(_l("Only a meeting that took place has minutes."))
    if now < meeting.starts_at:
        raise RuleError(_l("Minutes are written once the meeting has started."))
    if visibility not in ("public", "private"):
        raise RuleError(_l("Choose who may read the minutes."), "visibility")
    cleaned = clean_html(body or "")
    text = plain_text(cleaned)
    if not text:
        raise RuleError(_l("The minutes are empty."), "body")
    if len(text) > MAX_MINUTES_LENGTH:
        raise RuleError(_l("The minutes are too long."), "body")
    minutes = meeting.minutes
    state = rules.minutes_transition(minutes.state if minutes else None, "save")
    if minutes is None:
        minutes = MeetingMinutes(meeting=meeting)
        db.session.add(minutes)
    minutes.body = cleaned
    minutes.visibility = visibility
    minutes.state = state
    minutes.approved_at = minutes.approved_by_id = None
    minutes.updated_at = now
    minutes.updated_by_id = actor.id
    db.session.flush()
    audit.record(actor, "meetings.minutes.save", meeting, now=now, after={"state": state})
    return minutes


def move_minutes(actor: User, meeting: Meeting, action: str, *, now: datetime) -> MeetingMinutes:
    """Approve, publish or withdraw the minutes."""
    minutes = meeting.minutes
    if minutes is None:
        raise RuleError(_l("Write the minutes first."))
    before = minutes.state
    minutes.state = rules.minutes_transition(before, action)
    if action == "approve":
        minutes.approved_at, minutes.approved_by_id = now, actor.id
    elif action == "publish":
        minutes.published_at = now
    elif action == "unpublish":
        minutes.published_at = None
    db.session.flush()
    audit.record(
        actor,
        f"meetings.minutes.{action}",
        meeting,
        now=now,
        before={"state": before},
        after={"state": minutes.state},
    )
    return minutes


def may_read_minutes(meeting: Meeting, viewer, registration: Registration | None) -> bool:
    """Published public minutes: anyone; published private ones: its participants; drafts:
    organisers."""
    from consult.meetings.services import is_organiser

    minutes = meeting.minutes
    if minutes is None:
        return False
    if is_organiser(viewer):
        return True
    if minutes.state != "published":
        return False
    if minutes.visibility == "public":
        return True
    return registration is not None and (
        registration.status in ("confirmed", "walk_in") or registration.attended_at is not None
    )
