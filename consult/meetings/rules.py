"""Pure rules of meetings: windows, seats and the waiting list, attendance, minutes, reminders."""

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from consult.consultations import rules as consultation_rules
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l

DRAFT, CANCELLED, NOT_OPEN, OPEN, CLOSED, UNDER_WAY, PAST = (
    "draft",
    "cancelled",
    "not_open",
    "open",
    "closed",
    "under_way",
    "past",
)
MAX_TITLE_LENGTH = 200
MAX_CAPACITY = 100_000
#: The attendance code is accepted from a little before the start to a little after the end.
CODE_MARGIN = timedelta(minutes=30)
#: Reminders go out during the 24 hours before the start.
REMINDER_LEAD = timedelta(hours=24)
#: Letters of attendance codes: no 0/O or 1/I/L that people confuse when reading a screen.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def phase(
    status: str,
    starts_at: datetime,
    ends_at: datetime,
    opens_at: datetime | None,
    closes_at: datetime | None,
    now: datetime,
) -> str:
    """Where a meeting stands for registration: draft, cancelled, not_open, open, closed,
    under_way or past."""
    if status == "draft":
        return DRAFT
    if status == "cancelled":
        return CANCELLED
    if now >= ends_at:
        return PAST
    if now >= starts_at:
        return UNDER_WAY
    if opens_at is not None and now < opens_at:
        return NOT_OPEN
    if now >= (closes_at or starts_at):
        return CLOSED
    return OPEN


def registration_refusal(current_phase: str, eligible: bool):
    """Why a person may not register now, or None when they may."""
    if current_phase in (DRAFT, CANCELLED):
        return _l("This meeting is not open to registration.")
    if not eligible:
        return _l("This meeting is not open to your population.")
    if current_phase == NOT_OPEN:
        return _l("Registration has not opened yet.")
    if current_phase in (CLOSED, UNDER_WAY, PAST):
        return _l("Registration is closed.")
    return None


def unregister_refusal(current_phase: str):
    """Why a person may not give up their place now, or None: possible until the start."""
    if current_phase in (UNDER_WAY, PAST):
        return _l("The meeting has started: you can no longer unregister.")
    return None


def free_seat(capacity: int | None, taken: Iterable[int]) -> int | None:
    """The lowest seat number not taken, or None when every seat is taken."""
    taken = set(taken)
    seat = 1
    while seat in taken:
        seat += 1
    if capacity is not None and seat > capacity:
        return None
    return seat


def promotions(
    capacity: int | None, taken: Iterable[int], waiting: list[int]
) -> list[tuple[int, int]]:
    """Who moves up from the waiting list (in order) and to which seat: [(registration, seat)]."""
    taken = set(taken)
    moves = []
    for registration_id in waiting:
        seat = free_seat(capacity, taken)
        if seat is None:
            break
        taken.add(seat)
        moves.append((registration_id, seat))
    return moves


def check_capacity(capacity: int | None, confirmed: int) -> None:
    """Refuse a capacity that is not positive, absurd, or below the seats already given."""
    if capacity is None:
        return
    if capacity < 1:
        raise RuleError(
            _l("The capacity must be at least 1 (leave it empty for no limit)."), "capacity"
        )
    if capacity > MAX_CAPACITY:
        raise RuleError(_l("The capacity is too large."), "capacity")
    if capacity < confirmed:
        raise RuleError(
            _l(
                "%(n)d people already hold a seat: the capacity cannot be lower.",
                n=confirmed,
            ),
            "capacity",
        )


def check_meeting(
    *,
    title: str,
    kind: str,
    format: str,
    place: str,
    online_url: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    opens_at: datetime | None,
    closes_at: datetime | None,
) -> None:
    """Refuse settings that do not describe a meeting people can go to."""
    if not title:
        raise RuleError(_l("Give the meeting a title."), "title")
    if len(title) > MAX_TITLE_LENGTH:
        raise RuleError(_l("The title is too long."), "title")
    if kind not in ("internal", "agora", "panel", "other"):
        raise RuleError(_l("Choose a kind of meeting."), "kind")
    if format not in ("in_person", "online", "hybrid"):
        raise RuleError(_l("Choose in person, online or both."), "format")
    if format in ("in_person", "hybrid") and not place:
        raise RuleError(_l("Give the address of the meeting."), "place")
    if format in ("online", "hybrid"):
        if not online_url:
            raise RuleError(_l("Give the link to join the meeting online."), "online_url")
        parts = urlsplit(online_url)
        if parts.scheme != "https" or not parts.netloc:
            raise RuleError(
                _l("The link must be a web address starting with https://."), "online_url"
            )
    if starts_at is None:
        raise RuleError(_l("Give the date and time it starts."), "starts_at")
    if ends_at is None:
        raise RuleError(_l("Give the date and time it ends."), "ends_at")
    if ends_at <= starts_at:
        raise RuleError(_l("The meeting must end after it starts."), "ends_at")
    if ends_at - starts_at > timedelta(days=7):
        raise RuleError(_l("A meeting lasts at most seven days."), "ends_at")
    if closes_at is not None and closes_at > starts_at:
        raise RuleError(
            _l("Registration must close before the meeting starts."), "registration_closes_at"
        )
    if opens_at is not None and opens_at >= (closes_at or starts_at):
        raise RuleError(_l("Registration must open before it closes."), "registration_opens_at")


def normalise_code(typed: str | None) -> str:
    """The code as typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def code_refusal(typed: str | None, code: str | None, starts_at, ends_at, now):
    """Why a typed attendance code is not accepted now, or None when it is."""
    if not code:
        return _l("This meeting does not take attendance by code.")
    if now < starts_at - CODE_MARGIN or now > ends_at + CODE_MARGIN:
        return _l("The attendance code is only accepted during the meeting.")
    if not hmac.compare_digest(normalise_code(typed).encode(), code.encode()):
        return _l("This code is not the one shown in the room.")
    return None


def reminder_due(starts_at: datetime, now: datetime) -> bool:
    """True during the 24 hours before the start: the reminder of the day before goes out."""
    return starts_at - REMINDER_LEAD <= now < starts_at


@dataclass(frozen=True)
class AttendanceRow:
    """Registered and present people of one population."""

    population_id: int | None
    registered: int
    present: int
    walk_ins: int

    @property
    def rate(self) -> float | None:
        """Share of the registered who came (None when nobody registered)."""
        if not self.registered:
            return None
        return (self.present - self.walk_ins) / self.registered


def attendance(rows: Iterable[tuple[int | None, str, bool]]) -> list[AttendanceRow]:
    """Per population: (population id, status, present) rows → registered, present, walk-ins.

    Confirmed people count as registered; walk-ins (no seat, came anyway) count only as present;
    the waiting list and cancellations count as present only if they came.
    """
    tally: dict[int | None, list[int]] = {}
    for population_id, status, present in rows:
        counts = tally.setdefault(population_id, [0, 0, 0])
        if status == "confirmed":
            counts[0] += 1
        if present:
            counts[1] += 1
            if status != "confirmed":
                counts[2] += 1
    return [
        AttendanceRow(pid, *counts)
        for pid, counts in sorted(tally.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]


def total(rows: list[AttendanceRow]) -> AttendanceRow:
    """All populations together."""
    return AttendanceRow(
        None,
        sum(r.registered for r in rows),
        sum(r.present for r in rows),
        sum(r.walk_ins for r in rows),
    )


MINUTES_MOVES = {
    # (state, action) -> next state
    ("draft", "save"): "draft",
    ("approved", "save"): "draft",
    ("draft", "approve"): "approved",
    ("approved", "publish"): "published",
    ("published", "unpublish"): "approved",
}


def minutes_transition(state: str | None, action: str) -> str:
    """The minutes' next state, or a refusal; published minutes must be withdrawn to be edited."""
    if state is None and action == "save":
        return "draft"
    following = MINUTES_MOVES.get((state, action))
    if following is None:
        messages = {
            "save": _l("Published minutes must be withdrawn before they are edited."),
            "approve": _l("Only draft minutes can be approved."),
            "publish": _l("Minutes must be approved before they are published."),
            "unpublish": _l("These minutes are not published."),
        }
        raise RuleError(messages.get(action, _l("This action is not possible on these minutes.")))
    return following


def check_answers(questions: list[tuple[int, str, int, list[str]]], submitted: dict) -> dict:
    """Validate a registration form with the consultation rules: {question id: answer}.

    `questions` are (id, kind, max_words, choices); `submitted` maps an id to the text typed or
    the list of chosen labels. Every question must be answered.
    """
    answers: dict[str, object] = {}
    for question_id, kind, max_words, choices in questions:
        value = submitted.get(question_id)
        field = f"q{question_id}"
        try:
            if kind == "open":
                html = consultation_rules.clean_open_answer(
                    value if isinstance(value, str) else "", 2000
                )
                answers[str(question_id)] = consultation_rules.plain_text(html)
            elif kind == "words":
                answers[str(question_id)] = consultation_rules.parse_words(
                    value if isinstance(value, str) else "", max_words
                )
            else:
                chosen = value if isinstance(value, list) else ([value] if value else [])
                labels = dict(enumerate(choices))
                picked = [int(v) for v in chosen if str(v).isdigit()]
                if len(picked) != len(chosen):
                    raise RuleError(_l("Choose among the proposed answers."))
                ids = consultation_rules.check_choices(kind, picked, set(labels))
                answers[str(question_id)] = [labels[i] for i in ids]
        except RuleError as error:
            raise RuleError(error.message, field) from None
    return answers
