"""Pure rules of the settings: typed values, and the value in force at a moment."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.admin.rules import (
    Problem,
    SettingInvalid,
    consultation_moment,
    format_reasons,
    parse_choice,
    parse_integer,
    parse_reasons,
    value_at,
)

T0 = datetime(2026, 3, 1, 9, 0)
HOUR = timedelta(hours=1)


def problem(call, *args) -> Problem:
    with pytest.raises(SettingInvalid) as caught:
        call(*args)
    return caught.value.problem


def test_integers_are_whole_and_in_range():
    assert parse_integer(" 12 ", 1, 100) == 12
    assert parse_integer("1\u202f000", 1, 100_000) == 1000
    assert problem(parse_integer, "douze", 1, 100) == Problem.NOT_A_NUMBER
    assert problem(parse_integer, "-3", 1, 100) == Problem.NOT_A_NUMBER
    assert problem(parse_integer, "2.5", 1, 100) == Problem.NOT_A_NUMBER
    assert problem(parse_integer, "0", 1, 100) == Problem.OUT_OF_RANGE
    assert problem(parse_integer, "9" * 30, 1, 100) == Problem.NOT_A_NUMBER


def test_reasons_are_code_and_label_lines():
    typed = "spam: Publicité\n\n  hors_sujet :  Hors   sujet \nother: Autre"
    assert parse_reasons(typed) == {"spam": "Publicité", "hors_sujet": "Hors sujet"}
    assert problem(parse_reasons, "Publicité") == Problem.REASON_LINE
    assert problem(parse_reasons, "spam:") == Problem.REASON_LINE
    assert problem(parse_reasons, "Spam: Publicité") == Problem.REASON_CODE
    assert problem(parse_reasons, "a: A\na: B") == Problem.REASON_TWICE
    assert problem(parse_reasons, "a: " + "x" * 121) == Problem.REASON_LABEL_LONG
    assert problem(parse_reasons, "other: Autre") == Problem.REASONS_NONE
    many = "\n".join(f"r{i}: Motif {i}" for i in range(31))
    assert problem(parse_reasons, many) == Problem.REASONS_MANY
    with pytest.raises(SettingInvalid) as caught:
        parse_reasons("a: A\nB C: D")
    assert caught.value.details == {"line": 2, "code": "B C"}


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(lambda c: c != "other"),
        st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=20),
        min_size=1,
        max_size=10,
    )
)
def test_formatted_reasons_read_back_the_same(reasons):
    assert parse_reasons(format_reasons(reasons)) == reasons


def test_choices():
    assert parse_choice("votes_cast", ("votes_cast", "present_represented")) == "votes_cast"
    assert problem(parse_choice, "everyone", ("votes_cast",)) == Problem.CHOICE
    assert problem(parse_choice, None, ("votes_cast",)) == Problem.CHOICE


def test_value_in_force_at_a_moment():
    history = [(T0, 3), (T0 + 2 * HOUR, 5)]
    assert value_at(history, T0 - HOUR, "env") == "env"
    assert value_at(history, T0, "env") == 3
    assert value_at(history, T0 + HOUR, "env") == 3
    assert value_at(history, T0 + 2 * HOUR, "env") == 5
    assert value_at([], T0, "env") == "env"


def test_a_consultation_over_keeps_the_moment_it_ended():
    closes = T0 + 10 * HOUR
    assert consultation_moment("published", closes, None, T0) == T0  # running: now
    assert consultation_moment("published", closes, None, closes + HOUR) == closes
    assert consultation_moment("closed", closes, T0 + HOUR, T0 + 5 * HOUR) == T0 + HOUR
    assert consultation_moment("draft", closes, None, T0) == T0
