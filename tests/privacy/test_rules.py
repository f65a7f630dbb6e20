"""Pure rules of personal data: retention dates and the CSV layout of an export."""

from datetime import datetime, timedelta

import pytest

from consult.core.errors import RuleError
from consult.privacy import rules

END = datetime(2026, 6, 30, 18, 0)


def test_erasure_comes_the_given_days_after_the_end():
    """30 days after 30 June 18:00 is 30 July 18:00; nothing is due before the end is known."""
    assert rules.erase_on(END, 30) == datetime(2026, 7, 30, 18, 0)
    assert rules.erase_on(None, 30) is None
    assert not rules.is_due(END, 30, END + timedelta(days=29, hours=23))
    assert rules.is_due(END, 30, END + timedelta(days=30))
    assert rules.is_due(END, 0, END)
    assert not rules.is_due(None, 0, END)


@pytest.mark.parametrize("typed", ["", "abc", "-1", "3651", "1.5", None])
def test_keep_days_refuses_nonsense(typed):
    """Only whole numbers from 0 to ten years."""
    with pytest.raises(RuleError) as raised:
        rules.check_keep_days(typed)
    assert raised.value.field == "keep_days"


def test_keep_days_accepts_its_bounds():
    """0 (erase at the end) and 3650 are accepted, spaces around are forgiven."""
    assert rules.check_keep_days(" 0 ") == 0
    assert rules.check_keep_days("3650") == 3650


def test_a_project_ends_at_its_last_moment_once_drawn():
    """Recruiting projects never end; a drawn one ends at its last session or draw."""
    moments = [END, END + timedelta(days=3)]
    assert rules.project_end("recruiting", moments) is None
    assert rules.project_end("drawn", moments) == END + timedelta(days=3)
    assert rules.project_end("drawn", []) is None


def test_flatten_lays_sections_out_as_rows_and_defuses_formulas():
    """One row per value; lists joined; a leading = is quoted so a spreadsheet does not run it."""
    rows = rules.flatten(
        {
            "account": {"email": "a@example.org", "roles": ["participant", "delegate"]},
            "contributions": [{"text": "=HYPERLINK(1)", "published": True}, {"text": None}],
        }
    )
    assert rows == [
        ("account", "1", "email", "a@example.org"),
        ("account", "1", "roles", "participant; delegate"),
        ("contributions", "1", "text", "'=HYPERLINK(1)"),
        ("contributions", "1", "published", "true"),
        ("contributions", "2", "text", ""),
    ]
    text = rules.to_csv(rows, ("section", "record", "field", "value"))
    assert text.startswith("\ufeffsection,record,field,value\r\n")


def test_placeholder_addresses_are_unique_and_undeliverable():
    """RFC 2606's .invalid never delivers; the row id keeps the unique constraint happy."""
    assert rules.placeholder_email("deleted", 12) == "deleted-12@erased.invalid"
