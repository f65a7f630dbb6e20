"""Pure rules of meetings: windows, seats, the waiting list, codes, attendance, minutes."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.core.errors import RuleError
from consult.meetings import rules

START = datetime(2026, 3, 12, 17, 0)
END = START + timedelta(hours=2)


@pytest.mark.parametrize(
    ("status", "opens", "closes", "now", "expected"),
    [
        ("draft", None, None, START - timedelta(days=1), rules.DRAFT),
        ("cancelled", None, None, START - timedelta(days=1), rules.CANCELLED),
        ("published", START - timedelta(days=2), None, START - timedelta(days=3), rules.NOT_OPEN),
        ("published", START - timedelta(days=2), None, START - timedelta(days=2), rules.OPEN),
        ("published", None, START - timedelta(hours=1), START - timedelta(hours=2), rules.OPEN),
        ("published", None, START - timedelta(hours=1), START - timedelta(hours=1), rules.CLOSED),
        ("published", None, None, START - timedelta(seconds=1), rules.OPEN),
        ("published", None, None, START, rules.UNDER_WAY),
        ("published", None, None, END, rules.PAST),
    ],
)
def test_phase_follows_the_registration_window(status, opens, closes, now, expected):
    assert rules.phase(status, START, END, opens, closes, now) == expected


def test_registration_refusals_say_why():
    assert rules.registration_refusal(rules.OPEN, True) is None
    assert "population" in str(rules.registration_refusal(rules.OPEN, False))
    assert "not opened yet" in str(rules.registration_refusal(rules.NOT_OPEN, True))
    for closed in (rules.CLOSED, rules.UNDER_WAY, rules.PAST):
        assert "closed" in str(rules.registration_refusal(closed, True))
    assert rules.unregister_refusal(rules.CLOSED) is None
    assert rules.unregister_refusal(rules.UNDER_WAY) is not None


def test_free_seat_is_the_lowest_hole_within_capacity():
    assert rules.free_seat(3, []) == 1
    assert rules.free_seat(3, [1, 3]) == 2
    assert rules.free_seat(3, [1, 2, 3]) is None
    assert rules.free_seat(None, [1, 2, 3]) == 4


def test_promotions_fill_free_seats_in_waiting_order():
    assert rules.promotions(3, [2], [10, 11, 12]) == [(10, 1), (11, 3)]
    assert rules.promotions(2, [1, 2], [10]) == []
    assert rules.promotions(None, [1], [7, 8]) == [(7, 2), (8, 3)]


@given(
    capacity=st.integers(min_value=1, max_value=30),
    taken=st.sets(st.integers(min_value=1, max_value=30)),
    waiting=st.lists(st.integers(min_value=100, max_value=999), unique=True, max_size=40),
)
def test_promotions_never_overbook_nor_skip_the_queue(capacity, taken, waiting):
    taken = {s for s in taken if s <= capacity}
    moves = rules.promotions(capacity, taken, waiting)
    seats = [seat for _r, seat in moves]
    assert len(set(seats)) == len(seats)
    assert not set(seats) & taken
    assert all(1 <= s <= capacity for s in seats)
    assert len(moves) == min(len(waiting), capacity - len(taken))
    assert [r for r, _s in moves] == waiting[: len(moves)]


def test_capacity_cannot_drop_below_seats_given():
    rules.check_capacity(None, 40)
    rules.check_capacity(10, 10)
    with pytest.raises(RuleError, match="already hold a seat"):
        rules.check_capacity(9, 10)
    with pytest.raises(RuleError):
        rules.check_capacity(0, 0)


def _meeting(**changes):
    values = dict(
        title="Agora de Toulouse",
        kind="agora",
        format="in_person",
        place="Salle des fêtes",
        online_url="",
        starts_at=START,
        ends_at=END,
        opens_at=None,
        closes_at=None,
    )
    values.update(changes)
    return values


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"kind": "party"}, "kind"),
        ({"format": "telepathy"}, "format"),
        ({"place": ""}, "place"),
        ({"format": "online", "online_url": ""}, "online_url"),
        ({"format": "hybrid", "online_url": "javascript:alert(1)"}, "online_url"),
        ({"ends_at": START}, "ends_at"),
        ({"ends_at": START + timedelta(days=8)}, "ends_at"),
        ({"closes_at": START + timedelta(minutes=1)}, "registration_closes_at"),
        (
            {"opens_at": START - timedelta(hours=1), "closes_at": START - timedelta(hours=2)},
            "registration_opens_at",
        ),
    ],
)
def test_meeting_settings_are_checked(changes, field):
    with pytest.raises(RuleError) as refused:
        rules.check_meeting(**_meeting(**changes))
    assert refused.value.field == field


def test_online_meeting_needs_an_https_link():
    rules.check_meeting(
        **_meeting(format="online", place="", online_url="https://visio.example/abc")
    )


def test_attendance_code_only_during_the_meeting_and_as_shown():
    code = "K7PQ2M"
    assert rules.code_refusal(" k7pq-2m ", code, START, END, START + timedelta(minutes=5)) is None
    assert "during the meeting" in str(
        rules.code_refusal(code, code, START, END, START - timedelta(hours=1))
    )
    assert "during the meeting" in str(
        rules.code_refusal(code, code, START, END, END + timedelta(hours=1))
    )
    assert "not the one" in str(rules.code_refusal("AAAAAA", code, START, END, START))
    assert rules.code_refusal(code, None, START, END, START) is not None


def test_reminder_due_the_day_before_only():
    assert not rules.reminder_due(START, START - timedelta(hours=25))
    assert rules.reminder_due(START, START - timedelta(hours=24))
    assert rules.reminder_due(START, START - timedelta(minutes=1))
    assert not rules.reminder_due(START, START)


def test_attendance_per_population():
    rows = rules.attendance(
        [
            (1, "confirmed", True),
            (1, "confirmed", False),
            (1, "waiting", False),
            (1, "walk_in", True),
            (2, "confirmed", True),
            (None, "cancelled", False),
        ]
    )
    by_population = {r.population_id: r for r in rows}
    assert (by_population[1].registered, by_population[1].present) == (2, 2)
    assert by_population[1].walk_ins == 1
    assert by_population[1].rate == 0.5
    assert by_population[2].rate == 1.0
    assert by_population[None].rate is None
    total = rules.total(rows)
    assert (total.registered, total.present, total.walk_ins) == (3, 3, 1)


def test_minutes_drafted_approved_published():
    assert rules.minutes_transition(None, "save") == "draft"
    assert rules.minutes_transition("draft", "approve") == "approved"
    assert rules.minutes_transition("approved", "save") == "draft"
    assert rules.minutes_transition("approved", "publish") == "published"
    assert rules.minutes_transition("published", "unpublish") == "approved"
    for state, action in [("draft", "publish"), ("published", "save"), ("approved", "approve")]:
        with pytest.raises(RuleError):
            rules.minutes_transition(state, action)


def test_registration_form_answers_use_the_consultation_rules():
    questions = [
        (1, "open", 3, []),
        (2, "words", 2, []),
        (3, "single", 3, ["Oui", "Non"]),
        (4, "multiple", 3, ["Train", "Voiture", "Vélo"]),
    ]
    answers = rules.check_answers(
        questions, {1: "Je viens avec <b>ma fille</b>", 2: "santé, lien", 3: "0", 4: ["0", "2"]}
    )
    assert answers == {
        "1": "Je viens avec ma fille",
        "2": "santé, lien",
        "3": ["Oui"],
        "4": ["Train", "Vélo"],
    }
    with pytest.raises(RuleError) as refused:
        rules.check_answers(questions, {1: "x", 2: "un deux trois", 3: "0", 4: ["0"]})
    assert refused.value.field == "q2"
    with pytest.raises(RuleError) as refused:
        rules.check_answers(questions, {1: "x", 2: "un", 3: "7", 4: ["0"]})
    assert refused.value.field == "q3"
    with pytest.raises(RuleError) as refused:
        rules.check_answers(questions, {1: "", 2: "un", 3: "0", 4: ["0"]})
    assert refused.value.field == "q1"
