"""Meetings: organising them (settings, registration form, publication) and finding them."""

import secrets
from datetime import datetime

from sqlalchemy import func, select

from consult.accounts.models import Population, Region, User
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.mail import queue_mail
from consult.core.permissions import Role
from consult.core.sanitize import clean_html
from consult.extensions import db
from consult.meetings import rules
from consult.meetings.models import (
    Meeting,
    MeetingPopulation,
    MeetingQuestion,
    Registration,
)


def is_organiser(user) -> bool:
    """Organisers (and administrators) run meetings and see drafts."""
    return user is not None and user.is_authenticated and user.has_role(Role.ORGANISER)


def phase_of(meeting: Meeting, now: datetime) -> str:
    """Where the meeting stands for registration."""
    return rules.phase(
        meeting.status,
        meeting.starts_at,
        meeting.ends_at,
        meeting.registration_opens_at,
        meeting.registration_closes_at,
        now,
    )


def get_meeting(meeting_id: int, viewer) -> Meeting | None:
    """The meeting if this person may see it: drafts only for organisers."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or (meeting.status == "draft" and not is_organiser(viewer)):
        return None
    return meeting


def public_meetings(
    *, when: str, now: datetime, kind: str | None, region_id: int | None, page: int, per_page=20
) -> tuple[list[Meeting], int]:
    """Published (and cancelled) meetings, upcoming soonest first or past latest first."""
    conditions = [Meeting.status != "draft"]
    if when == "past":
        conditions.append(Meeting.ends_at <= now)
        order = (Meeting.starts_at.desc(), Meeting.id.desc())
    else:
        conditions.append(Meeting.ends_at > now)
        order = (Meeting.starts_at, Meeting.id)
    if kind:
        conditions.append(Meeting.kind == kind)
    if region_id:
        conditions.append(Meeting.region_id == region_id)
    total = db.session.scalar(select(func.count()).select_from(Meeting).where(*conditions))
    found = db.session.scalars(
        select(Meeting)
        .where(*conditions)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(found), total or 0


def organiser_meetings() -> list[Meeting]:
    """Every meeting, drafts included, latest start first (organisers' list)."""
    return list(db.session.scalars(select(Meeting).order_by(Meeting.starts_at.desc())))


def seat_counts(meeting_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Confirmed and waiting registrations per meeting: {id: (confirmed, waiting)}."""
    if not meeting_ids:
        return {}
    counts: dict[int, list[int]] = {mid: [0, 0] for mid in meeting_ids}
    for meeting_id, status, n in db.session.execute(
        select(Registration.meeting_id, Registration.status, func.count())
        .where(
            Registration.meeting_id.in_(meeting_ids),
            Registration.status.in_(("confirmed", "waiting")),
        )
        .group_by(Registration.meeting_id, Registration.status)
    ):
        counts[meeting_id][0 if status == "confirmed" else 1] = n
    return {mid: (c[0], c[1]) for mid, c in counts.items()}


def regions() -> list[Region]:
    """Regions, in display order."""
    return list(db.session.scalars(select(Region).order_by(Region.position, Region.name)))


def populations() -> list[Population]:
    """Populations, in display order."""
    return list(db.session.scalars(select(Population).order_by(Population.position, Population.id)))


# --- organising -------------------------------------------------------------------------------


def save_meeting(
    actor: User,
    meeting: Meeting | None,
    *,
    title: str,
    kind: str,
    format: str,
    agenda: str,
    place: str,
    online_url: str,
    region_id: int | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    capacity: int | None,
    registration_opens_at: datetime | None,
    registration_closes_at: datetime | None,
    population_ids: list[int],
    consultation_id: int | None = None,
    panel_id: int | None = None,
    mission_session_id: int | None = None,
    now: datetime,
) -> Meeting:
    """Create or change a meeting; more seats move the waiting list up at once."""
    from consult.meetings import registration

    title = (title or "").strip()
    place = (place or "").strip()
    online_url = (online_url or "").strip()
    if format == "online":
        place = ""
    if format == "in_person":
        online_url = ""
    rules.check_meeting(
        title=title,
        kind=kind,
        format=format,
        place=place,
        online_url=online_url,
        starts_at=starts_at,
        ends_at=ends_at,
        opens_at=registration_opens_at,
        closes_at=registration_closes_at,
    )
    if len(place) > 300:
        raise RuleError(_l("The address is too long."), "place")
    if len(online_url) > 500:
        raise RuleError(_l("The link is too long."), "online_url")
    if not population_ids:
        raise RuleError(_l("Invite at least one population."), "populations")
    known = set(db.session.scalars(select(Population.id)))
    if not set(population_ids) <= known:
        raise RuleError(_l("Choose among the listed populations."), "populations")
    if region_id is not None and db.session.get(Region, region_id) is None:
        raise RuleError(_l("Choose among the listed regions."), "region_id")
    if meeting is not None and meeting.status == "cancelled":
        raise RuleError(_l("A cancelled meeting can no longer be changed."))
    if meeting is None:
        if starts_at < now:
            raise RuleError(_l("The meeting cannot start in the past."), "starts_at")
        meeting = Meeting(created_at=now, created_by_id=actor.id, status="draft")
        db.session.add(meeting)
        confirmed = 0
        before = None
    else:
        confirmed = seat_counts([meeting.id])[meeting.id][0]
        before = {"capacity": meeting.capacity, "starts_at": meeting.starts_at.isoformat()}
    rules.check_capacity(capacity, confirmed)
    _check_attachments(consultation_id, panel_id, mission_session_id)
    meeting.title = title
    meeting.kind = kind
    meeting.format = format
    meeting.agenda = clean_html(agenda) if agenda else ""
    meeting.place = place
    meeting.online_url = online_url
    meeting.region_id = region_id
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.capacity = capacity
    meeting.registration_opens_at = registration_opens_at
    meeting.registration_closes_at = registration_closes_at
    meeting.consultation_id = consultation_id
    meeting.panel_id = panel_id
    meeting.mission_session_id = mission_session_id
    current = {p.population_id: p for p in meeting.populations}
    meeting.populations = [
        current.get(pid) or MeetingPopulation(population_id=pid)
        for pid in dict.fromkeys(population_ids)
    ]
    db.session.flush()
    audit.record(actor, "meetings.save", meeting, now=now, before=before, after={"title": title})
    if meeting.status == "published":
        registration.fill_seats(meeting, now=now)
    return meeting


def _check_attachments(consultation_id, panel_id, mission_session_id) -> None:
    """What a meeting is attached to must exist."""
    from consult.consultations.models import Consultation
    from consult.mission.models import CommitteeSession
    from consult.panels.models import Panel

    for model, value, field in (
        (Consultation, consultation_id, "consultation_id"),
        (Panel, panel_id, "panel_id"),
        (CommitteeSession, mission_session_id, "mission_session_id"),
    ):
        if value is not None and db.session.get(model, value) is None:
            raise RuleError(_l("Choose among the listed items."), field)


def publish(actor: User, meeting: Meeting, *, now: datetime) -> None:
    """List a draft meeting and open its registration (from its opening date, if any)."""
    if meeting.status != "draft":
        raise RuleError(_l("Only a draft can be published."))
    if meeting.starts_at <= now:
        raise RuleError(_l("The meeting has already started: change its date before publishing."))
    meeting.status = "published"
    audit.record(actor, "meetings.publish", meeting, now=now, after={"status": "published"})


def cancel(actor: User, meeting: Meeting, *, reason: str, now: datetime) -> int:
    """Cancel a meeting that has not ended; everyone registered or waiting is told by e-mail."""
    if meeting.status == "cancelled":
        raise RuleError(_l("This meeting is already cancelled."))
    if meeting.ends_at <= now:
        raise RuleError(_l("A meeting that has taken place cannot be cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(_l("Say why the meeting is cancelled: registrants will read it."), "reason")
    if len(reason) > 1000:
        raise RuleError(_l("The reason is too long."), "reason")
    told = 0
    if meeting.status == "published":
        for person in db.session.scalars(
            select(User)
            .join(Registration, Registration.user_id == User.id)
            .where(
                Registration.meeting_id == meeting.id,
                Registration.status.in_(("confirmed", "waiting")),
            )
        ):
            queue_mail(
                person.email,
                str(_l("Meeting cancelled: %(title)s", title=meeting.title)),
                str(
                    _l(
                        "The meeting “%(title)s” is cancelled.\n\nReason: %(reason)s",
                        title=meeting.title,
                        reason=reason,
                    )
                ),
                now=now,
            )
            told += 1
    meeting.status = "cancelled"
    meeting.cancelled_at = now
    audit.record(actor, "meetings.cancel", meeting, now=now, reason=reason)
    return told


def new_attendance_code(actor: User, meeting: Meeting, *, now: datetime) -> str:
    """Draw a fresh code to show in the room (the previous one stops working)."""
    if meeting.status != "published":
        raise RuleError(_l("Only a published meeting takes attendance."))
    meeting.attendance_code = "".join(
        secrets.choice(rules.CODE_ALPHABET) for _ in range(rules.CODE_LENGTH)
    )
    audit.record(actor, "meetings.attendance_code", meeting, now=now)
    return meeting.attendance_code


# --- registration form ------------------------------------------------------------------------


def _require_form_editable(meeting: Meeting) -> None:
    """Everyone answers the same form: it changes only before the first registration."""
    if meeting.status == "cancelled":
        raise RuleError(_l("A cancelled meeting can no longer be changed."))
    registered = db.session.scalar(
        select(func.count()).select_from(Registration).where(Registration.meeting_id == meeting.id)
    )
    if registered:
        raise RuleError(_l("People have registered: the registration form can no longer change."))


def save_question(
    actor: User,
    meeting: Meeting,
    *,
    kind: str,
    prompt: str,
    max_words: int,
    choices: list[str],
    now: datetime,
) -> MeetingQuestion:
    """Add a question to the registration form, of one of the consultation question kinds."""
    _require_form_editable(meeting)
    prompt = (prompt or "").strip()
    if not prompt:
        raise RuleError(_l("Write the question."), "prompt")
    if len(prompt) > 500:
        raise RuleError(_l("The question is too long."), "prompt")
    if kind not in ("open", "words", "single", "multiple"):
        raise RuleError(_l("Choose a kind of question."), "kind")
    if not 1 <= (max_words or 0) <= 10:
        raise RuleError(_l("Between 1 and 10 words."), "max_words")
    labels = list(dict.fromkeys(c.strip()[:200] for c in choices if c.strip()))
    if kind in ("single", "multiple") and len(labels) < 2:
        raise RuleError(_l("Give at least two different options, one per line."), "choices")
    question = MeetingQuestion(
        meeting=meeting,
        position=len(meeting.questions),
        kind=kind,
        prompt=prompt,
        max_words=max_words,
        choices=labels if kind in ("single", "multiple") else [],
    )
    db.session.add(question)
    db.session.flush()
    audit.record(actor, "meetings.question.add", meeting, now=now, after={"prompt": prompt})
    return question


def delete_question(actor: User, question: MeetingQuestion, *, now: datetime) -> None:
    """Remove a question from the registration form."""
    meeting = question.meeting
    _require_form_editable(meeting)
    meeting.questions.remove(question)
    for position, item in enumerate(meeting.questions):
        item.position = position
    db.session.flush()
    audit.record(actor, "meetings.question.delete", meeting, now=now)
