"""When reminders are due and what notifications say (no app, no database)."""

from datetime import datetime, timedelta

import pytest

from consult.notifications import rules

CLOSE = datetime(2027, 3, 12, 17, 0)


def test_closing_reminder_window_is_the_last_three_days():
    """From exactly three days before the close until the close."""
    assert not rules.closes_soon(CLOSE, CLOSE - timedelta(days=3, seconds=1))
    assert rules.closes_soon(CLOSE, CLOSE - timedelta(days=3))
    assert rules.closes_soon(CLOSE, CLOSE - timedelta(seconds=1))
    assert not rules.closes_soon(CLOSE, CLOSE)


def test_session_reminder_window_is_the_two_days_before():
    """From two days before a session until it starts."""
    assert rules.meets_soon(CLOSE, CLOSE - timedelta(days=2))
    assert not rules.meets_soon(CLOSE, CLOSE - timedelta(days=2, minutes=1))
    assert not rules.meets_soon(CLOSE, CLOSE)


def test_a_consultation_is_open_within_its_window():
    """Inclusive opening, exclusive closing."""
    opens = CLOSE - timedelta(days=30)
    assert rules.is_open(opens, CLOSE, opens)
    assert not rules.is_open(opens, CLOSE, CLOSE)


@pytest.mark.parametrize("kind", list(rules.KIND_LABELS))
def test_every_kind_has_a_message_and_a_subject(app, kind):
    """Each message names its subject; dates go through the given formatter."""
    params = {"title": "Baromètre", "when": CLOSE.isoformat(), "place": "Nantes", "assembly": "AG"}
    text = str(rules.message(kind, params, lambda moment: f"<{moment:%d/%m}>"))
    assert "Baromètre" in text
    if kind in ("consultation_open", "closing_soon", "panel_session"):
        assert "<12/03>" in text
    assert "Baromètre" in str(rules.subject_line(kind, params))


def test_an_unknown_kind_is_a_programming_error():
    """A kind outside the list never reaches people."""
    with pytest.raises(ValueError):
        rules.message("weather", {}, str)
