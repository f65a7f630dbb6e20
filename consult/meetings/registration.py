"""Registering for a meeting: seats, the waiting list that moves up on its own, reminders,
attendance by list or by a code shown in the room."""

from datetime import datetime

from flask import has_request_context
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from consult.accounts.models import User
from consult.core import audit, links
from consult.core.errors import RuleError
from consult.core.i18n import format_moment
from consult.core.i18n import lazy_gettext as _l
from consult.core.mail import queue_mail
from consult.extensions import db
from consult.meetings import rules
from consult.meetings.models import Meeting, Registration
from consult.meetings.services import phase_of

#: Attempts at a free seat before joining the waiting list: each failed one means someone else
#: took that seat at the same instant.
SEAT_ATTEMPTS = 5


def registration_of(user, meeting: Meeting) -> Registration | None:
    """This person's registration row for the meeting (any status), if any."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.meeting_id == meeting.id, Registration.user_id == user.id
        )
    )


def _taken_seats(meeting: Meeting) -> list[int]:
    """Seat numbers held now (read fresh: another request may just have taken one)."""
    return list(
        db.session.scalars(
            select(Registration.seat).where(
                Registration.meeting_id == meeting.id, Registration.seat.is_not(None)
            )
        )
    )


def _claim(registration_id: int, seat: int, now: datetime, *, from_statuses) -> bool:
    """Give a seat to a registration, guarded by the unique seat number; False if taken."""
    try:
        with db.session.begin_nested():
            done = db.session.execute(
                update(Registration)
                .where(Registration.id == registration_id, Registration.status.in_(from_statuses))
                .values(status="confirmed", seat=seat, waiting_since=None)
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError:
        return False
    return bool(done)


def register(user: User, meeting: Meeting, *, answers: dict, now: datetime) -> Registration:
    """Register a person: a seat if one is free, else a place on the waiting list.

    Two people asking for the last seat at once both see it free; the unique seat number lets
    only one of them have it, and the other goes on the waiting list.
    """
    refusal = rules.registration_refusal(
        phase_of(meeting, now), user.population_id in meeting.population_ids
    )
    if refusal:
        raise RuleError(refusal)
    questions = [(q.id, q.kind, q.max_words, list(q.choices)) for q in meeting.questions]
    checked = rules.check_answers(questions, answers)
    existing = registration_of(user, meeting)
    if existing is not None and existing.status in ("confirmed", "waiting"):
        raise RuleError(_l("You are already registered for this meeting."))
    if existing is None:
        registration = _insert(user, meeting, checked, now)
    else:
        registration = existing
        registration.registered_at = now
        registration.answers = checked
        registration.population_id = user.population_id
        registration.cancelled_at = None
        for _attempt in range(SEAT_ATTEMPTS):
            seat = rules.free_seat(meeting.capacity, _taken_seats(meeting))
            if seat is None or _claim(
                registration.id, seat, now, from_statuses=("cancelled", "walk_in")
            ):
                break
        db.session.refresh(registration)
        if registration.status != "confirmed":
            registration.status = "waiting"
            registration.waiting_since = now
    db.session.flush()
    audit.record(
        user, "meetings.register", registration, now=now, after={"status": registration.status}
    )
    return registration


def _insert(user: User, meeting: Meeting, answers: dict, now: datetime) -> Registration:
    """A first registration: the lowest free seat, or the waiting list when none is left.

    The seat is chosen, then inserted under the unique seat number: when someone else took it
    in between, the insert fails and the next free seat is tried.
    """
    for _attempt in range(SEAT_ATTEMPTS):
        seat = rules.free_seat(meeting.capacity, _taken_seats(meeting))
        registration = Registration(
            meeting_id=meeting.id,
            user_id=user.id,
            status="confirmed" if seat else "waiting",
            seat=seat,
            waiting_since=None if seat else now,
            registered_at=now,
            answers=answers,
            population_id=user.population_id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(registration)
                db.session.flush()
        except IntegrityError:
            if registration_of(user, meeting) is not None:
                raise RuleError(
                    _l("You registered from another window: reload the page.")
                ) from None
            continue  # that seat was taken at the same instant: try the next one
        return registration
    raise RuleError(_l("Many people are registering at this moment: please try again."))


def unregister(user: User, meeting: Meeting, *, now: datetime) -> Registration:
    """Give up a seat or a place on the waiting list; the first person waiting takes the seat."""
    refusal = rules.unregister_refusal(phase_of(meeting, now))
    if refusal:
        raise RuleError(refusal)
    registration = registration_of(user, meeting)
    if registration is None or registration.status not in ("confirmed", "waiting"):
        raise RuleError(_l("You are not registered for this meeting."))
    before = registration.status
    registration.status = "cancelled"
    registration.seat = None
    registration.waiting_since = None
    registration.cancelled_at = now
    db.session.flush()
    audit.record(user, "meetings.unregister", registration, now=now, before={"status": before})
    if before == "confirmed":
        fill_seats(meeting, now=now)
    return registration


def waiting_list(meeting: Meeting) -> list[Registration]:
    """People waiting, in the order they joined the list."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.meeting_id == meeting.id, Registration.status == "waiting")
            .order_by(Registration.waiting_since, Registration.id)
        )
    )


def fill_seats(meeting: Meeting, *, now: datetime) -> list[Registration]:
    """Move the waiting list up into free seats, in order, and tell each person by e-mail."""
    if meeting.status != "published" or now >= meeting.starts_at:
        return []
    promoted = []
    for _attempt in range(SEAT_ATTEMPTS):
        waiting = waiting_list(meeting)
        moves = rules.promotions(meeting.capacity, _taken_seats(meeting), [r.id for r in waiting])
        if not moves:
            break
        by_id = {r.id: r for r in waiting}
        clash = False
        for registration_id, seat in moves:
            if _claim(registration_id, seat, now, from_statuses=("waiting",)):
                registration = by_id[registration_id]
                db.session.refresh(registration)
                registration.promoted_at = now
                promoted.append(registration)
                _tell_promoted(registration, meeting, now)
            else:
                clash = True
                break
        if not clash:
            break
    db.session.flush()
    return promoted


def _link(meeting: Meeting) -> str:
    """The meeting's address for an e-mail (the command sets the site's address as a request)."""
    if has_request_context():
        return links.external_url("meetings.show", meeting_id=meeting.id)
    return f"/meetings/{meeting.id}"


def _tell_promoted(registration: Registration, meeting: Meeting, now: datetime) -> None:
    """The e-mail to a person who got a seat from the waiting list."""
    when = format_moment(meeting.starts_at)
    link = _link(meeting)
    queue_mail(
        registration.user.email,
        str(_l("A seat is yours: %(title)s", title=meeting.title)),
        str(
            _l(
                "A seat became free at “%(title)s” (%(when)s) and it is now yours.\n\n"
                "If you can no longer come, unregister so that the next person gets it:\n%(link)s",
                title=meeting.title,
                when=when,
                link=link,
            )
        ),
        now=now,
    )


def send_reminders(*, now: datetime) -> int:
    """E-mail confirmed registrants of meetings starting within 24 hours, once each."""
    meetings = db.session.scalars(
        select(Meeting).where(
            Meeting.status == "published",
            Meeting.starts_at > now,
            Meeting.starts_at <= now + rules.REMINDER_LEAD,
        )
    ).all()
    sent = 0
    for meeting in meetings:
        if not rules.reminder_due(meeting.starts_at, now):
            continue
        pending = db.session.scalars(
            select(Registration).where(
                Registration.meeting_id == meeting.id,
                Registration.status == "confirmed",
                Registration.reminded_at.is_(None),
            )
        ).all()
        for registration in pending:
            # Guarded: two schedulers running at once send each reminder once.
            marked = db.session.execute(
                update(Registration)
                .where(Registration.id == registration.id, Registration.reminded_at.is_(None))
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not marked:
                continue
            _remind(registration.user, meeting, now)
            sent += 1
    db.session.flush()
    return sent


def _remind(person: User, meeting: Meeting, now: datetime) -> None:
    """The reminder of the day before."""
    when = format_moment(meeting.starts_at)
    where = []
    if meeting.place:
        where.append(str(_l("Place: %(place)s", place=meeting.place)))
    if meeting.online_url:
        where.append(str(_l("Join online: %(url)s", url=meeting.online_url)))
    queue_mail(
        person.email,
        str(_l("Reminder: %(title)s, %(when)s", title=meeting.title, when=when)),
        str(
            _l(
                "You are registered for “%(title)s”, which starts %(when)s (Paris time).",
                title=meeting.title,
                when=when,
            )
        )
        + "\n\n"
        + "\n".join(where)
        + "\n\n"
        + str(_l("Cannot come? Unregister so that someone on the waiting list gets your seat:"))
        + "\n"
        + _link(meeting),
        now=now,
    )


# --- attendance -------------------------------------------------------------------------------


def _require_attendance_time(meeting: Meeting, now: datetime) -> None:
    """Attendance is taken from shortly before the start, for a published meeting."""
    if meeting.status != "published":
        raise RuleError(_l("Only a published meeting takes attendance."))
    if now < meeting.starts_at - rules.CODE_MARGIN:
        raise RuleError(_l("Attendance is taken once the meeting starts."))


def record_attendance(actor: User, meeting: Meeting, present_ids: set[int], *, now: datetime):
    """Tick the registrants present (by list); unticked ones are no longer counted present."""
    _require_attendance_time(meeting, now)
    rows = db.session.scalars(
        select(Registration).where(
            Registration.meeting_id == meeting.id, Registration.status != "cancelled"
        )
    ).all()
    known = {r.id for r in rows}
    if not present_ids <= known:
        raise RuleError(_l("Tick people among those registered."))
    changed = 0
    for registration in rows:
        present = registration.id in present_ids
        if present and registration.attended_at is None:
            registration.attended_at, registration.attendance_method = now, "list"
            changed += 1
        elif not present and registration.attended_at is not None:
            registration.attended_at, registration.attendance_method = None, None
            changed += 1
    db.session.flush()
    audit.record(
        actor, "meetings.attendance", meeting, now=now, after={"present": len(present_ids)}
    )
    return changed


def check_in(user: User, meeting: Meeting, code: str, *, now: datetime) -> Registration:
    """Count a person present because they typed the code shown in the room."""
    if meeting.status != "published":
        raise RuleError(_l("Only a published meeting takes attendance."))
    refusal = rules.code_refusal(
        code, meeting.attendance_code, meeting.starts_at, meeting.ends_at, now
    )
    if refusal:
        raise RuleError(refusal, "code")
    registration = registration_of(user, meeting)
    if registration is None:
        try:
            with db.session.begin_nested():
                registration = Registration(
                    meeting_id=meeting.id,
                    user_id=user.id,
                    status="walk_in",
                    registered_at=now,
                    answers={},
                    population_id=user.population_id,
                )
                db.session.add(registration)
                db.session.flush()
        except IntegrityError:
            registration = registration_of(user, meeting)
    elif registration.status == "cancelled":
        registration.status = "walk_in"
    if registration.attended_at is None:
        registration.attended_at, registration.attendance_method = now, "code"
    db.session.flush()
    return registration


def attendance_report(meeting: Meeting):
    """Registered and present people per population, with the total: (rows, total)."""
    rows = db.session.execute(
        select(
            Registration.population_id, Registration.status, Registration.attended_at.is_not(None)
        ).where(Registration.meeting_id == meeting.id)
    ).all()
    per_population = rules.attendance((p, s, bool(a)) for p, s, a in rows)
    return per_population, rules.total(per_population)


def registrants(meeting: Meeting) -> list[Registration]:
    """Everyone on the list (seat holders, then the waiting list, then walk-ins)."""
    order = {"confirmed": 0, "waiting": 1, "walk_in": 2, "cancelled": 3}
    found = db.session.scalars(
        select(Registration).where(Registration.meeting_id == meeting.id)
    ).all()
    return sorted(
        found, key=lambda r: (order[r.status], r.seat or 0, r.waiting_since or r.registered_at)
    )


def my_registrations(user: User) -> list[Registration]:
    """A person's registrations (cancelled ones excepted), the next meeting first."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(Meeting, Meeting.id == Registration.meeting_id)
            .where(Registration.user_id == user.id, Registration.status != "cancelled")
            .order_by(Meeting.starts_at.desc())
        )
    )
