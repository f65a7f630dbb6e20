"""Participation statistics, group comparison and attribution: worked examples and properties."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.analysis.rules import (
    NBSP,
    ContributorRow,
    ExistingTopic,
    breakdown,
    combined_participation,
    compare_groups,
    daily_participation,
    may_export_unpublished,
    page_window,
    participation_by_population,
    percent,
    quote,
    reconcile_topics,
    safe_cell,
    shorten,
    snapshot_is_stale,
    too_small,
    total_participation,
)


def row(pid, population, contributions=1, region=None, age=None, gender=None):
    """A contributor row with short argument names."""
    return ContributorRow(pid, population, contributions, region, age, gender)


# --- percentages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "places", "expected"),
    [
        (Fraction(1, 3), 0, Decimal("33")),
        (Fraction(2, 3), 0, Decimal("67")),
        (Fraction(1, 8), 0, Decimal("13")),  # 12.5 rounds half up
        (Fraction(1, 8), 1, Decimal("12.5")),
        (Fraction(5566, 16866), 0, Decimal("33")),
        (Fraction(0), 0, Decimal("0")),
        (Fraction(1), 0, Decimal("100")),
    ],
)
def test_percent_rounds_half_up_exactly(rate, places, expected):
    """Rounding happens once, on the exact fraction, half up."""
    assert percent(rate, places) == expected


# --- participation ----------------------------------------------------------------------------


def test_participation_by_population_worked_example():
    """Members, employees and delegates against their head-counts; a silent population shows 0."""
    rows = [
        row(1, "employee", 3),
        row(2, "employee", 1),
        row(3, "delegate", 5),
        row(4, "member", 2),
        row(5, "member", 1),
        row(6, "member", 4),
    ]
    eligible = {"employee": 6, "delegate": 3, "member": 100, "citizen": 56}
    result = participation_by_population(rows, eligible, order=["member", "employee"])
    assert [(r.population, r.eligible, r.contributors, r.contributions) for r in result] == [
        ("member", 100, 3, 7),
        ("employee", 6, 2, 4),
        ("citizen", 56, 0, 0),
        ("delegate", 3, 1, 5),
    ]
    assert result[0].rate == Fraction(3, 100)
    assert result[1].per_contributor == 2
    # "33 % of employees and delegates took part"
    internal = combined_participation(result, ["employee", "delegate"])
    assert (internal.eligible, internal.contributors, internal.contributions) == (9, 3, 9)
    assert percent(internal.rate) == 33
    total = total_participation(result)
    assert (total.eligible, total.contributors, total.contributions) == (165, 6, 16)


def test_unknown_head_count_gives_no_rate():
    """Without an eligible head-count the rate is unknown, not zero or infinite."""
    [result] = participation_by_population([row(1, "company")], {})
    assert result.eligible is None and result.rate is None
    merged = combined_participation([result], ["company"])
    assert merged.eligible is None and merged.rate is None
    assert combined_participation([result], ["nobody"]).contributors == 0


def test_breakdown_by_region_unknown_last():
    """Most contributors first, ties alphabetically, unknown values at the end."""
    rows = [
        row(1, "member", 2, region="Occitanie"),
        row(2, "member", 1, region="Auvergne"),
        row(3, "member", 1, region="Occitanie"),
        row(4, "member", 3, region=None),
        row(5, "member", 1, region="Bretagne"),
    ]
    result = breakdown(rows, "region")
    assert [(r.value, r.contributors, r.contributions) for r in result] == [
        ("Occitanie", 2, 3),
        ("Auvergne", 1, 1),
        ("Bretagne", 1, 1),
        (None, 1, 3),
    ]
    assert result[0].share == Fraction(2, 5)


def test_breakdown_follows_a_given_order():
    """Age bands read youngest first whatever their counts."""
    rows = [
        row(1, "m", age="60-80 ans"),
        row(2, "m", age="20-30 ans"),
        row(3, "m", age="60-80 ans"),
    ]
    result = breakdown(rows, "age_band", order=["20-30 ans", "30-40 ans", "60-80 ans"])
    assert [r.value for r in result] == ["20-30 ans", "60-80 ans"]
    with pytest.raises(ValueError):
        breakdown(rows, "name")


def test_daily_participation_fills_gaps_and_counts_newcomers():
    """One row per day; hourly counts add up; the cumulative line grows with newcomers."""
    counts = [(date(2021, 3, 1), 2), (date(2021, 3, 1), 1), (date(2021, 3, 3), 3)]
    first_days = [date(2021, 3, 1), date(2021, 3, 1), date(2021, 3, 3)]
    result = daily_participation(counts, first_days)
    assert [(r.day.day, r.contributions, r.new_contributors) for r in result] == [
        (1, 3, 2),
        (2, 0, 0),
        (3, 3, 1),
    ]
    assert [r.cumulative_contributors for r in result] == [2, 2, 3]
    assert daily_participation([], []) == []


contributor_rows = st.lists(
    st.builds(
        ContributorRow,
        participant_id=st.integers(1, 10_000),
        population=st.sampled_from(["member", "employee", "delegate"]),
        contributions=st.integers(1, 50),
        region=st.sampled_from([None, "Bretagne", "Auvergne"]),
    ),
    max_size=60,
    unique_by=lambda r: r.participant_id,
)


@given(contributor_rows)
def test_breakdowns_and_populations_add_up(rows):
    """Every breakdown sums to the same contributors and contributions as the whole."""
    people = len(rows)
    texts = sum(r.contributions for r in rows)
    for field in ("population", "region"):
        parts = breakdown(rows, field)
        assert sum(p.contributors for p in parts) == people
        assert sum(p.contributions for p in parts) == texts
        if people:
            assert sum(p.share for p in parts) == 1
    total = total_participation(participation_by_population(rows, {}))
    assert (total.contributors, total.contributions) == (people, texts)


@given(
    st.lists(st.tuples(st.dates(date(2021, 1, 1), date(2021, 2, 28)), st.integers(0, 5))),
    st.lists(st.dates(date(2021, 1, 1), date(2021, 2, 28))),
)
def test_daily_totals_match_inputs(counts, first_days):
    """Days sum to all contributions; the last cumulative figure counts every contributor."""
    result = daily_participation(counts, first_days)
    assert sum(r.contributions for r in result) == sum(c for _d, c in counts)
    if result:
        assert result[-1].cumulative_contributors == len(first_days)
        assert (result[-1].day - result[0].day).days + 1 == len(result)
        assert all(a.day < b.day for a, b in zip(result, result[1:], strict=False))


# --- comparing groups -------------------------------------------------------------------------


def test_compare_groups_flags_small_groups():
    """A panel of 56 compared with 10,000 members carries the caveat under a minimum of 100."""
    rows = compare_groups(
        bases={"member": 10_000, "employee": 1_500, "citizen": 56},
        counts={"member": 2_500, "citizen": 30},
        minimum=100,
        order=["member", "employee", "citizen"],
    )
    assert [(r.group, r.count, r.too_small) for r in rows] == [
        ("member", 2_500, False),
        ("employee", 0, False),
        ("citizen", 30, True),
    ]
    assert rows[0].share == Fraction(1, 4)
    assert compare_groups({"x": 0}, {})[0].share is None


def test_compare_groups_rejects_inconsistent_input():
    """More mentions than people, or a minimum below one, is a caller error."""
    with pytest.raises(ValueError):
        compare_groups({"member": 3}, {"member": 4})
    with pytest.raises(ValueError):
        compare_groups({"member": 3}, {}, minimum=0)


def test_too_small_boundary():
    """The minimum size itself is large enough."""
    assert too_small(29, 30) and not too_small(30, 30)


# --- attribution ------------------------------------------------------------------------------


def test_quote_is_framed_with_guillemets():
    """French guillemets with non-breaking spaces, then a dash and the profile line."""
    text = quote("  Être écouté,\n vraiment. ", "Adhérente, 40-60 ans, Pays de la Loire")
    assert text == f"«{NBSP}Être écouté, vraiment.{NBSP}» — Adhérente, 40-60 ans, Pays de la Loire"


def test_shorten_cuts_at_a_word_boundary():
    """Long quotes end with an ellipsis after a whole word."""
    assert shorten("la santé de nos adhérents", 14) == "la santé de…"
    assert shorten("la santé", 40) == "la santé"
    assert shorten("anticonstitutionnellement", 10) == "anticonst…"
    assert (
        quote("la santé de nos adhérents", "Élu", limit=14) == f"«{NBSP}la santé de…{NBSP}» — Élu"
    )


@given(st.text(max_size=300), st.integers(2, 120))
def test_shorten_never_exceeds_the_limit(text, limit):
    """Whatever the text, the shortened quote fits the limit."""
    assert len(shorten(text, limit)) <= limit


# --- re-running the proposal ------------------------------------------------------------------


def fs(*items):
    """A frozenset, briefly."""
    return frozenset(items)


def test_untouched_themes_are_refreshed_in_place_or_deleted():
    """Same theme again keeps its id; a theme that vanished is dropped; new ones are created."""
    existing = [
        ExistingTopic(1, fs(1, 2, 3, 4), touched=False),
        ExistingTopic(2, fs(5, 6), touched=False),
    ]
    plan = reconcile_topics(existing, [fs(1, 2, 3, 9), fs(7, 8)])
    assert plan.update == {1: (0, fs(1, 2, 3, 9))}
    assert plan.create == [(1, fs(7, 8))]
    assert plan.delete == [2]
    assert plan.absorb == {}


def test_analysts_themes_are_never_lost():
    """Renamed, merged or discarded themes stay, keep their members and absorb their match."""
    existing = [
        ExistingTopic(1, fs(1, 2, 3, 4, 5, 6), touched=True),  # merged by an analyst
        ExistingTopic(2, fs(7, 8), touched=True),  # discarded by an analyst
        ExistingTopic(3, fs(9, 10), touched=False),
    ]
    proposed = [fs(1, 2, 3, 20), fs(4, 5, 6), fs(7, 8, 21), fs(9, 10, 11)]
    plan = reconcile_topics(existing, proposed)
    assert plan.absorb == {1: fs(20), 2: fs(21)}  # a discarded theme does not come back
    assert plan.update == {3: (3, fs(9, 10, 11))}
    assert plan.create == [] and plan.delete == []


def test_hand_tagged_contributions_never_move():
    """Contributions an analyst placed by hand are left out of every automatic theme."""
    existing = [ExistingTopic(1, fs(1, 2), touched=False)]
    plan = reconcile_topics(existing, [fs(1, 2, 3), fs(4, 5)], owned=fs(2, 4))
    assert plan.update == {1: (0, fs(1, 3))}
    assert plan.create == [(1, fs(5))]


def test_one_untouched_theme_is_refreshed_by_its_best_match_only():
    """When two proposed themes come from one saved theme, the larger overlap keeps the id."""
    existing = [ExistingTopic(1, fs(1, 2, 3, 4, 5, 6), touched=False)]
    plan = reconcile_topics(existing, [fs(1, 2), fs(3, 4, 5, 6)])
    assert plan.update == {1: (1, fs(3, 4, 5, 6))}
    assert plan.create == [(0, fs(1, 2))]


def test_weak_overlap_creates_a_new_theme():
    """Under the threshold, a proposed theme is new even if it shares a few members."""
    existing = [ExistingTopic(1, fs(1, 2), touched=True)]
    plan = reconcile_topics(existing, [fs(1, 3, 4)])
    assert plan.absorb == {} and plan.create == [(0, fs(3, 4))]


@given(
    st.lists(st.tuples(st.sets(st.integers(0, 40), max_size=10), st.booleans()), max_size=6),
    st.lists(st.sets(st.integers(0, 40), max_size=12), max_size=6),
    st.sets(st.integers(0, 40), max_size=5),
)
def test_reconcile_keeps_every_analyst_theme_and_tag(saved, proposed_sets, tagged):
    """Touched themes are never updated or deleted; owned contributions never move."""
    # automatic themes hold disjoint members, as the proposal gives one theme per contribution
    seen: set[int] = set()
    existing = []
    for number, (members, touched) in enumerate(saved, start=1):
        existing.append(ExistingTopic(number, frozenset(members - seen), touched))
        seen |= members
    seen = set()
    proposed = []
    for members in proposed_sets:
        proposed.append(frozenset(members - seen))
        seen |= members
    plan = reconcile_topics(existing, proposed, owned=frozenset(tagged))
    touched = {t.id for t in existing if t.touched}
    owned = set(tagged).union(*(t.members for t in existing if t.touched))
    assert not touched & set(plan.update) and not touched & set(plan.delete)
    placed = [m for _i, m in plan.update.values()] + [m for _i, m in plan.create]
    placed += list(plan.absorb.values())
    for members in placed:
        assert not members & owned
    ids = [i for i, _m in plan.update.values()] + [i for i, _m in plan.create]
    assert len(ids) == len(set(ids))


def test_safe_cell_neutralises_formulas():
    """Spreadsheet formulas in user text are written as text."""
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("-1+2") == "'-1+2"
    assert safe_cell("La santé") == "La santé"
    assert safe_cell(12) == 12


def test_quote_without_profile_reads_participant():
    """A quote never shows a name; with no profile it is attributed to a participant."""
    assert quote("Merci", None) == f"«{NBSP}Merci{NBSP}» — Participant·e"


def test_only_moderators_and_administrators_export_unpublished():
    """Analysts export what is published; moderation rights open the rest."""
    assert not may_export_unpublished({"analyst", "organiser"})
    assert may_export_unpublished({"analyst", "moderator"})
    assert may_export_unpublished({"administrator"})


def test_page_window():
    """Pages start at 1, sizes are capped, and garbage is refused."""
    assert page_window(None, None) == (1, 20)
    assert page_window("3", "500") == (3, 100)
    for page, size in (("0", "10"), ("x", "10"), ("1", "-5"), ("1.5", "2")):
        with pytest.raises(ValueError):
            page_window(page, size)


def test_participation_snapshot_staleness():
    """Figures are recomputed when missing, or when old while the consultation is open."""
    end = datetime(2021, 4, 5, 12, 0)
    age = timedelta(minutes=15)
    assert snapshot_is_stale(None, end, end, age)
    during = datetime(2021, 3, 20, 12, 0)
    assert not snapshot_is_stale(during, during + timedelta(minutes=15), end, age)
    assert snapshot_is_stale(during, during + timedelta(minutes=16), end, age)
    assert not snapshot_is_stale(end, end + timedelta(days=30), end, age)  # after the close
