"""Pure rules of a consultation: window, eligibility, what an answer may be, reactions (no app)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.consultations import rules
from consult.consultations.rules import (
    CLOSED,
    DRAFT,
    OPEN,
    OPENING_GRACE,
    SCHEDULED,
    answer_refusal,
    check_choices,
    check_window,
    clean_open_answer,
    is_eligible,
    next_reaction,
    parse_words,
    phase,
)
from consult.core.errors import RuleError
from consult.core.sanitize import clean_html, plain_text

OPENS = datetime(2026, 3, 2, 8, 0)
CLOSES = datetime(2026, 3, 30, 20, 0)
TICK = timedelta(microseconds=1)
MAX = 10_000


def refusal(call, *args, **kwargs) -> RuleError:
    """The RuleError a call raises (the test fails if it raises nothing)."""
    with pytest.raises(RuleError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- the window -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        ("draft", OPENS + timedelta(days=1), DRAFT),
        ("draft", CLOSES + timedelta(days=1), DRAFT),
        ("published", OPENS - timedelta(days=1), SCHEDULED),
        ("published", OPENS - TICK, SCHEDULED),
        ("published", OPENS, OPEN),
        ("published", OPENS + TICK, OPEN),
        ("published", CLOSES - TICK, OPEN),
        ("published", CLOSES, CLOSED),
        ("published", CLOSES + timedelta(days=1), CLOSED),
        ("closed", OPENS + timedelta(days=1), CLOSED),
        ("closed", OPENS - timedelta(days=1), CLOSED),
    ],
)
def test_phase_at_every_boundary(status, now, expected):
    assert phase(status, OPENS, CLOSES, now) == expected


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)))
def test_a_published_consultation_is_open_exactly_within_its_window(now):
    assert (phase("published", OPENS, CLOSES, now) == OPEN) == (OPENS <= now < CLOSES)


def test_window_in_the_future_is_accepted():
    now = OPENS - timedelta(days=3)
    assert check_window(OPENS, CLOSES, now) is None


def test_opening_a_few_minutes_ago_is_accepted_within_the_grace():
    assert check_window(OPENS - OPENING_GRACE, CLOSES, OPENS) is None


def test_opening_in_the_past_beyond_the_grace_is_refused_on_the_opening_field():
    error = refusal(check_window, OPENS - OPENING_GRACE - TICK, CLOSES, OPENS)
    assert error.field == "opens_at"
    assert "in the past" in str(error.message)


def test_opening_in_the_past_is_accepted_when_it_may_be():
    last_year = OPENS - timedelta(days=365)
    assert check_window(last_year, CLOSES, OPENS, opening_may_be_past=True) is None


@pytest.mark.parametrize("closes", [OPENS, OPENS - timedelta(hours=1)])
def test_reversed_or_empty_window_is_refused_on_the_closing_field(closes):
    error = refusal(check_window, OPENS, closes, OPENS - timedelta(days=1))
    assert error.field == "closes_at"
    assert "close after it opens" in str(error.message)


@pytest.mark.parametrize(
    ("opens", "closes", "field"), [(None, CLOSES, "opens_at"), (OPENS, None, "closes_at")]
)
def test_missing_dates_are_refused(opens, closes, field):
    assert refusal(check_window, opens, closes, OPENS - timedelta(days=1)).field == field


# --- who may answer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "invited", "eligible"),
    [(1, {1, 2}, True), (3, {1, 2}, False), (None, {1, 2}, False), (1, set(), False)],
)
def test_eligibility_is_membership_of_an_invited_population(population, invited, eligible):
    assert is_eligible(population, frozenset(invited)) is eligible


def test_answering_is_allowed_only_while_open_and_eligible():
    assert answer_refusal(OPEN, True) is None
    assert "not open yet" in str(answer_refusal(SCHEDULED, True))
    assert "closed" in str(answer_refusal(CLOSED, True))
    assert "closed" in str(answer_refusal(DRAFT, True))
    for current in (OPEN, SCHEDULED, CLOSED, DRAFT):
        assert "not open to your population" in str(answer_refusal(current, False))


# --- open answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [None, "", "   ", "\n\t \r\n", "<p></p>", "<p> </p><br>", "<p>&nbsp;</p>", "<img src=x>"],
)
def test_empty_answers_are_refused(typed):
    error = refusal(clean_open_answer, typed, MAX)
    assert error.field == "answer"
    assert str(error.message) == "Your answer is empty."


def test_plain_text_becomes_paragraphs():
    html = clean_open_answer("  Solidarité d'abord.\n\nEt la proximité.\nToujours.  ", MAX)
    assert html == "<p>Solidarité d'abord.</p><p>Et la proximité.<br>Toujours.</p>"


def test_plain_text_with_a_less_than_sign_is_kept_as_text():
    html = clean_open_answer("Les cotisations < 50 € par mois", MAX)
    assert plain_text(html) == "Les cotisations < 50 € par mois"
    assert "<" not in html.replace("&lt;", "")


def test_one_megabyte_of_text_is_refused_with_its_length():
    error = refusal(clean_open_answer, "a" * 1_000_000, MAX)
    assert error.field == "answer"
    assert str(error.message) == ("Your answer is too long (1000000 characters; at most 10000).")


def test_length_limit_counts_text_not_markup():
    assert clean_open_answer("<p><strong>" + "a" * MAX + "</strong></p>", MAX)
    assert "10001 characters" in str(refusal(clean_open_answer, "a" * (MAX + 1), MAX).message)


@pytest.mark.parametrize(
    ("hostile", "kept"),
    [
        ("<script>alert(1)</script><p>Bonjour</p>", "<p>Bonjour</p>"),
        ('<p onclick="steal()">Bonjour</p>', "<p>Bonjour</p>"),
        ('<a href="javascript:alert(1)">lien</a>', '<a rel="nofollow noopener">lien</a>'),
        (
            '<p style="color:red">Rouge</p><iframe src="https://evil.example"></iframe>',
            "<p>Rouge</p>",
        ),
        ("<p>Bonjour<!-- caché --></p>", "<p>Bonjour</p>"),
    ],
)
def test_hostile_html_is_stripped(hostile, kept):
    html = clean_open_answer(hostile, MAX)
    assert html.endswith(kept)
    for banned in ("<script", "onclick", "javascript:", "style=", "<iframe", "<!--"):
        assert banned not in html


def test_links_written_by_participants_get_nofollow():
    html = clean_open_answer('<p>Voir <a href="https://example.org">ici</a></p>', MAX)
    assert 'rel="nofollow noopener"' in html and 'href="https://example.org"' in html


@given(st.text(max_size=300))
def test_a_cleaned_answer_is_safe_and_stable(typed):
    try:
        html = clean_open_answer(typed, MAX)
    except RuleError as error:
        assert error.field == "answer"
        return
    assert plain_text(html)
    assert clean_html(html) == html
    assert "<script" not in html.lower()


def test_plain_text_is_shown_as_typed():
    """Typed characters that mean something in HTML are kept as text, entities included."""
    html = clean_open_answer("b > a & c &amp; d\n\nsuite", MAX)
    assert html == "<p>b &gt; a &amp; c &amp;amp; d</p><p>suite</p>"
    assert plain_text(html) == "b > a & c &amp; d\n\nsuite"


def test_a_removed_block_leaves_a_line_break():
    """Pasted blocks outside the allow-list do not glue their words together, and the plain
    text of paragraphs and list items keeps them on lines of their own."""
    assert clean_html("<div>Bonjour</div><div>Merci</div>") == "Bonjour\nMerci"
    assert plain_text("<p>Un.</p><ul><li>a</li><li>b</li></ul>") == "Un.\n\n\na\nb"  # as bleach


@given(st.text(max_size=200) | st.sampled_from(["voir www.exemple.fr", "<p>https://a.fr/x</p>"]))
def test_the_linkifier_is_skipped_only_where_it_would_change_nothing(typed):
    """A text where the address pattern finds nothing skips the second parse, with the markup
    the linkifier would have returned; bare addresses still become links with our rel."""
    from consult.core import sanitize

    settled = sanitize._nh3_clean(sanitize.strip_invisible(typed), sanitize._ALLOW)
    assert clean_html(typed) == sanitize._linker.linkify(settled)
    if "www.exemple.fr" in typed:
        assert 'href="http://www.exemple.fr" rel="nofollow noopener"' in clean_html(typed)


# --- a few words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("solidarité", "solidarité"),
        ("  solidarité, proximité ; confiance ", "solidarité, proximité, confiance"),
        ("solidarité\nproximité", "solidarité, proximité"),
        ("entraide,,  écoute", "entraide, écoute"),
    ],
)
def test_a_few_words_are_kept_comma_separated(typed, stored):
    assert parse_words(typed, 3) == stored


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "at least one word"),
        (" , ; ", "at least one word"),
        (None, "at least one word"),
        ("un deux trois quatre", "at most 3 words (you typed 4)"),
        ("a" * (rules.MAX_WORD_LENGTH + 1), "too long"),
        ("<b>gras</b>", "cannot contain"),
        ("a>b", "cannot contain"),
    ],
)
def test_bad_words_are_refused(typed, why):
    error = refusal(parse_words, typed, 3)
    assert why in str(error.message)
    assert error.field == "answer"


# --- choices ----------------------------------------------------------------------------------


def test_single_choice_takes_one_allowed_option():
    assert check_choices("single", [2], {1, 2, 3}) == [2]
    assert check_choices("single", [2, 2], {1, 2, 3}) == [2]


def test_multiple_choice_keeps_order_and_drops_duplicates():
    assert check_choices("multiple", [3, 1, 3], {1, 2, 3}) == [3, 1]


@pytest.mark.parametrize(
    ("kind", "chosen", "why"),
    [
        ("single", [], "Choose an answer."),
        ("multiple", [], "Choose an answer."),
        ("single", [9], "Choose among the proposed answers."),
        ("multiple", [1, 9], "Choose among the proposed answers."),
        ("single", [1, 2], "Choose only one answer."),
    ],
)
def test_bad_choices_are_refused(kind, chosen, why):
    assert str(refusal(check_choices, kind, chosen, {1, 2, 3}).message) == why


# --- reactions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "requested", "result"),
    [
        (None, 1, 1),
        (None, -1, -1),
        (1, -1, -1),
        (-1, 1, 1),
        (1, 1, None),
        (-1, -1, None),
    ],
)
def test_one_reaction_per_person_changeable_and_taken_back_by_repeating_it(
    current, requested, result
):
    assert next_reaction(current, requested) == result


@pytest.mark.parametrize("requested", [0, 2, -2, None])
def test_unknown_reactions_are_refused(requested):
    assert str(refusal(next_reaction, None, requested).message) == "Unknown reaction."


@given(st.lists(st.sampled_from([1, -1]), max_size=20))
def test_a_person_holds_at_most_the_last_reaction_they_did_not_take_back(clicks):
    current = None
    for value in clicks:
        before = current
        current = next_reaction(current, value)
        assert current in (None, 1, -1)
        assert current == (None if before == value else value)
