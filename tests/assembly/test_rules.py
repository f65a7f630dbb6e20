"""Pure rules of the assembly vote: worked examples and Hypothesis properties."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.assembly import rules
from consult.assembly.rules import (
    DEFAULT_RULES,
    Attendance,
    CastDecision,
    Category,
    Choice,
    Counts,
    MajorityBase,
    Outcome,
    Presence,
    ProxyProblem,
    Ratio,
    RuleSet,
    VoteRule,
)

TWO_THIRDS = VoteRule(Ratio(1, 2), Ratio(2, 3), strict=False)
SIMPLE = VoteRule(None, Ratio(1, 2), strict=True)


# --------------------------------------------------------------------------- fractions


def test_ratio_parses_statute_notation():
    assert Ratio.parse(" 2 / 3 ") == Ratio(2, 3)
    assert Ratio.parse("1") == Ratio(1, 1)
    assert str(Ratio(1, 4)) == "1/4"


@pytest.mark.parametrize("text", ["", "a/b", "3/2", "1/0", "-1/2"])
def test_ratio_refuses_nonsense(text):
    with pytest.raises(ValueError):
        Ratio.parse(text)


@pytest.mark.parametrize(
    ("ratio", "whole", "needed"),
    [(Ratio(1, 2), 304, 152), (Ratio(1, 2), 7, 4), (Ratio(1, 4), 304, 76), (Ratio(2, 3), 300, 200)],
)
def test_ceil_of_is_the_count_needed(ratio, whole, needed):
    assert ratio.ceil_of(whole) == needed
    assert rules.at_least(needed, whole, ratio)
    assert not rules.at_least(needed - 1, whole, ratio)


# --------------------------------------------------------------------------- quorum


@pytest.mark.parametrize(
    ("participating", "in_office", "quorum", "reached"),
    [
        (152, 304, Ratio(1, 2), True),  # exactly half: reached
        (151, 304, Ratio(1, 2), False),  # one short
        (4, 7, Ratio(1, 2), True),  # odd roll: 3.5 rounds up to 4
        (3, 7, Ratio(1, 2), False),
        (76, 304, Ratio(1, 4), True),  # exactly a quarter
        (75, 304, Ratio(1, 4), False),
        (1, 304, None, True),  # second convocation, ordinary: no quorum
        (0, 304, None, True),
        (0, 0, Ratio(1, 4), False),  # nobody in office never deliberates
    ],
)
def test_quorum(participating, in_office, quorum, reached):
    assert rules.quorum_reached(participating, in_office, quorum) is reached


def test_default_rules_follow_l114_12():
    assert DEFAULT_RULES.rule_for(Category.STATUTORY, 1).quorum == Ratio(1, 2)
    assert DEFAULT_RULES.rule_for(Category.STATUTORY, 2).quorum == Ratio(1, 4)
    assert DEFAULT_RULES.rule_for("statutory", 2).majority == Ratio(2, 3)
    assert DEFAULT_RULES.rule_for(Category.ORDINARY, 1).quorum == Ratio(1, 4)
    assert DEFAULT_RULES.rule_for(Category.ORDINARY, 2).quorum is None
    assert DEFAULT_RULES.rule_for(Category.ORDINARY, 2).strict


def test_rule_set_round_trips_through_json_form():
    custom = RuleSet.from_dict(
        {**DEFAULT_RULES.to_dict(), "majority_base": "present_represented"},
    )
    assert custom.majority_base is MajorityBase.PRESENT_REPRESENTED
    assert custom.rules == DEFAULT_RULES.rules
    assert RuleSet.from_dict(custom.to_dict()) == custom


def test_rule_set_needs_every_category_and_convocation():
    data = DEFAULT_RULES.to_dict()
    data["rules"] = data["rules"][:3]
    with pytest.raises(ValueError, match="missing"):
        RuleSet.from_dict(data)


# --------------------------------------------------------------------------- majority


def full_house(total: int) -> Attendance:
    """Everyone in office is present."""
    return Attendance(in_office=total, present=total)


def test_domain_example_depends_on_the_majority_base():
    counts = Counts(for_=200, against=100, abstention=10)
    roll = full_house(310)
    on_cast = rules.decide(counts, roll, TWO_THIRDS, MajorityBase.VOTES_CAST)
    on_present = rules.decide(counts, roll, TWO_THIRDS, MajorityBase.PRESENT_REPRESENTED)
    assert (on_cast.base_value, on_cast.required_for, on_cast.outcome) == (300, 200, "adopted")
    assert (on_present.base_value, on_present.required_for) == (310, 207)
    assert on_present.outcome is Outcome.REJECTED


@pytest.mark.parametrize(
    ("for_", "against", "outcome"),
    [(200, 100, Outcome.ADOPTED), (199, 101, Outcome.REJECTED), (201, 99, Outcome.ADOPTED)],
)
def test_two_thirds_exact_threshold_both_sides(for_, against, outcome):
    decision = rules.decide(Counts(for_=for_, against=against), full_house(300), TWO_THIRDS)
    assert decision.outcome is outcome


@pytest.mark.parametrize(
    ("for_", "against", "outcome"),
    [(100, 100, Outcome.REJECTED), (101, 100, Outcome.ADOPTED), (100, 101, Outcome.REJECTED)],
)
def test_simple_majority_tie_rejects(for_, against, outcome):
    decision = rules.decide(Counts(for_=for_, against=against), full_house(201), SIMPLE)
    assert decision.outcome is outcome


def test_blank_and_abstention_are_not_cast_unless_the_statutes_say_so():
    counts = Counts(for_=10, against=6, abstention=3, blank=2)
    default = rules.decide(counts, full_house(21), SIMPLE)
    assert default.base_value == 16
    blank_counts = rules.decide(
        counts, full_house(21), SIMPLE, cast_choices=(Choice.FOR, Choice.AGAINST, Choice.BLANK)
    )
    assert blank_counts.base_value == 18
    assert blank_counts.outcome is Outcome.ADOPTED  # 10 > 9


def test_present_represented_counts_delegates_who_did_not_vote():
    roll = Attendance(in_office=40, present=20, represented=5, remote=5)
    decision = rules.decide(
        Counts(for_=16, against=4), roll, SIMPLE, MajorityBase.PRESENT_REPRESENTED
    )
    assert decision.base_value == 30
    assert decision.outcome is Outcome.ADOPTED  # 16 > 15
    decision = rules.decide(
        Counts(for_=15, against=4), roll, SIMPLE, MajorityBase.PRESENT_REPRESENTED
    )
    assert decision.outcome is Outcome.REJECTED  # 15 is not more than 15


def test_no_vote_at_all_is_rejected_not_adopted():
    for base in MajorityBase:
        decision = rules.decide(Counts(), Attendance(in_office=10), SIMPLE, base)
        assert decision.outcome is Outcome.REJECTED
        assert decision.base_value == 0
        assert decision.required_for == 1


def test_only_abstentions_is_rejected():
    decision = rules.decide(Counts(abstention=5), full_house(5), SIMPLE)
    assert decision.base_value == 0
    assert decision.outcome is Outcome.REJECTED


def test_quorum_failure_wins_over_the_votes():
    roll = Attendance(in_office=304, present=100, represented=20, remote=31)  # 151
    decision = rules.decide(Counts(for_=151), roll, TWO_THIRDS)
    assert decision.quorum_required == 152
    assert not decision.quorum_reached
    assert decision.outcome is Outcome.NO_QUORUM
    assert decision.as_dict()["outcome"] == "no_quorum"


@given(
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
    st.sampled_from([Ratio(1, 2), Ratio(2, 3), Ratio(3, 5), Ratio(3, 4)]),
    st.booleans(),
)
def test_integer_threshold_matches_exact_fractions(for_, against, other, majority, strict):
    counts = Counts(for_=for_, against=against, abstention=other)
    rule = VoteRule(None, majority, strict)
    decision = rules.decide(counts, full_house(counts.total), rule)
    base = for_ + against
    share = Fraction(for_, base) if base else None
    expected = share is not None and (
        share > Fraction(majority.num, majority.den)
        if strict
        else share >= Fraction(majority.num, majority.den)
    )
    assert (decision.outcome is Outcome.ADOPTED) is expected
    if base:
        assert (for_ >= decision.required_for) is expected


# --------------------------------------------------------------------------- tally


def test_tally_weighted_ballots():
    counts = rules.tally([("for", 3), (Choice.AGAINST, 1), ("blank", 2), ("for", 1)])
    assert counts == Counts(for_=4, against=1, blank=2)
    assert counts.total == 7
    assert counts.as_dict() == {"for": 4, "against": 1, "abstention": 0, "blank": 2}


def test_tally_refuses_unknown_choice_and_negative_weight():
    with pytest.raises(ValueError):
        rules.tally([("maybe", 1)])
    with pytest.raises(ValueError):
        rules.tally([("for", -1)])


ballot = st.tuples(st.sampled_from(list(Choice)), st.integers(1, 20))


@given(st.lists(ballot, max_size=60))
def test_tally_equals_the_sum_of_ballots(ballots):
    counts = rules.tally(ballots)
    for choice in Choice:
        assert counts.of(choice) == sum(w for c, w in ballots if c == choice)
    assert counts.total == sum(w for _, w in ballots)


@given(st.lists(st.tuples(st.integers(0, 15), ballot), max_size=60))
def test_replaying_ballots_changes_nothing(casts):
    final = rules.final_ballots(casts)
    assert rules.final_ballots(casts + casts) == final
    assert rules.final_ballots(list(final.items())) == final
    assert rules.tally(rules.final_ballots(casts + casts).values()) == rules.tally(final.values())
    for voter, last in final.items():
        assert last == [b for v, b in casts if v == voter][-1]


def test_last_cast_counts():
    final = rules.final_ballots([(1, ("for", 1)), (2, ("against", 1)), (1, ("blank", 1))])
    assert final == {2: ("against", 1), 1: ("blank", 1)}


# --------------------------------------------------------------------------- attendance


@pytest.mark.parametrize(
    ("marked", "proxy", "voted", "expected"),
    [
        ("present", False, False, Presence.PRESENT),
        ("present", True, True, Presence.PRESENT),
        ("remote", False, False, Presence.REMOTE),
        ("absent", True, False, Presence.REPRESENTED),
        ("absent", True, True, Presence.REMOTE),  # voting in person takes back the proxy
        ("absent", False, True, Presence.REMOTE),
        ("absent", False, False, Presence.ABSENT),
    ],
)
def test_delegate_presence(marked, proxy, voted, expected):
    assert rules.delegate_presence(marked, proxy, voted) is expected


def test_attendance_is_weighted():
    roll = rules.attendance([(1, "present"), (3, "represented"), (2, "remote"), (5, "absent")])
    assert roll == Attendance(in_office=11, present=1, represented=3, remote=2)
    assert roll.participating == 6


# --------------------------------------------------------------------------- proxies


def test_proxy_rules():
    active = {"b": "a", "c": "a"}
    assert rules.proxy_problem("d", "e", active, cap=2) is None
    assert rules.proxy_problem("d", "d", active, cap=2) is ProxyProblem.SELF
    assert rules.proxy_problem("d", "a", active, cap=2) is ProxyProblem.CAP_REACHED
    assert rules.proxy_problem("d", "a", active, cap=3) is None
    assert rules.proxy_problem("b", "e", active, cap=2) is ProxyProblem.ALREADY_GIVEN
    assert rules.proxy_problem("d", "b", active, cap=2) is ProxyProblem.HOLDER_GAVE
    assert rules.proxy_problem("a", "e", active, cap=2) is ProxyProblem.GIVER_HOLDS
    assert (
        rules.proxy_problem("d", "e", active, cap=2, giver_takes_part=True)
        is ProxyProblem.GIVER_TAKES_PART
    )
    assert rules.proxy_problem("d", "e", {}, cap=0) is ProxyProblem.CAP_REACHED


def test_holder_votes_once_per_mandate():
    active = {"b": "a", "c": "a", "e": "d"}
    assert rules.mandates("a", active) == ["a", "b", "c"]
    assert rules.mandates("b", active) == []  # gave their proxy away
    assert rules.mandates("z", active) == ["z"]


@pytest.mark.parametrize(
    ("existing_by_self", "by_self", "allow_change", "decision"),
    [
        (None, True, False, CastDecision.NEW),
        (None, False, False, CastDecision.NEW),
        (True, True, False, CastDecision.ALREADY_VOTED),
        (True, True, True, CastDecision.REPLACE),
        (False, False, False, CastDecision.ALREADY_VOTED),
        (False, False, True, CastDecision.REPLACE),
        (False, True, False, CastDecision.REPLACE),  # the delegate takes back the proxy
        (True, False, True, CastDecision.PROXY_TAKEN_BACK),
    ],
)
def test_cast_decision(existing_by_self, by_self, allow_change, decision):
    assert rules.cast_decision(existing_by_self, by_self, allow_change) is decision


# --------------------------------------------------------------------------- majority judgment

# Grades best first: Excellent, Very good, Good, Fair, Poor.
TENNESSEE = {
    # The capital-of-Tennessee example of the majority-judgment literature (shares in %).
    "Memphis": [42, 0, 0, 0, 58],
    "Nashville": [26, 42, 32, 0, 0],
    "Chattanooga": [15, 43, 0, 42, 0],
    "Knoxville": [17, 15, 26, 0, 42],
}


def test_tennessee_example():
    assert rules.majority_grade(TENNESSEE["Memphis"]) == 4
    assert rules.majority_grade(TENNESSEE["Nashville"]) == 1
    assert rules.majority_grade(TENNESSEE["Chattanooga"]) == 1
    assert rules.majority_grade(TENNESSEE["Knoxville"]) == 2
    ranking = rules.mj_rank(TENNESSEE)
    assert [r.key for r in ranking] == ["Nashville", "Chattanooga", "Knoxville", "Memphis"]
    assert [r.rank for r in ranking] == [1, 2, 3, 4]
    # Both "Very good": Nashville has fewer voters below (32 < 42), so it wins the tie.
    assert ranking[0].gauge == rules.Gauge(above=26, grade=1, below=32)
    assert ranking[1].gauge == rules.Gauge(above=15, grade=1, below=42)


def test_lower_median_for_even_counts():
    assert rules.majority_grade([1, 1]) == 1  # one Excellent, one Very good → Very good
    assert rules.majority_grade([0, 2, 2, 0]) == 2
    assert rules.majority_grade([3, 0, 0]) == 0


def test_majority_value_removes_the_median_one_vote_at_a_time():
    assert list(rules.majority_value([1, 1, 1])) == [1, 2, 0]
    assert list(rules.majority_value([0, 2, 1])) == [1, 2, 1]


def test_tie_broken_at_a_deeper_level():
    # Same majority grade and same gauge; the fourth median differs: the consensual one wins.
    a = [1, 0, 3, 0, 1]  # majority value 2, 2, 2, 4, 0
    b = [0, 1, 3, 1, 0]  # majority value 2, 2, 2, 3, 1
    assert rules.mj_gauge(a) == rules.mj_gauge(b) == rules.Gauge(above=1, grade=2, below=1)
    assert list(rules.majority_value(a)) == [2, 2, 2, 4, 0]
    assert rules.mj_compare(b, a) == 1
    assert rules.mj_compare(a, b) == -1


def test_perfect_tie_shares_the_rank():
    ranking = rules.mj_rank({"A": [1, 2, 1], "B": [1, 2, 1], "C": [0, 1, 3]})
    assert [(r.key, r.rank) for r in ranking] == [("A", 1), ("B", 1), ("C", 3)]


def test_mj_needs_comparable_profiles():
    with pytest.raises(ValueError):
        rules.mj_compare([1, 2], [1, 1])
    with pytest.raises(ValueError):
        rules.majority_grade([0, 0, 0])


def test_grade_counts():
    assert rules.grade_counts([0, 2, 2, 1], 4) == [1, 1, 2, 0]


profile = st.lists(st.integers(0, 6), min_size=5, max_size=5)


@given(profile, profile)
def test_majority_gauge_order_agrees_with_majority_value(a, b):
    if sum(a) == 0 or sum(a) != sum(b):
        return

    def gauge_key(counts):
        # Balinski-Laraki: better grade first; "+" (p > q) before "-"; then larger p / smaller q.
        g = rules.mj_gauge(counts)
        return (-g.grade, 1, g.above) if g.above > g.below else (-g.grade, 0, -g.below)

    ka, kb = gauge_key(a), gauge_key(b)
    if ka != kb:
        assert rules.mj_compare(a, b) == (1 if ka > kb else -1)


@given(profile, st.integers(0, 4))
def test_raising_a_grade_never_hurts(counts, grade):
    if sum(counts) == 0 or counts[grade + 1 if grade < 4 else grade] == 0 or grade == 4:
        return
    better = list(counts)
    better[grade + 1] -= 1
    better[grade] += 1
    assert rules.mj_compare(better, counts) >= 0


# --------------------------------------------------------------------------- codes and hashes


def test_tracking_code_format_and_normalisation():
    code = rules.format_tracking_code(bytes(range(8)))
    assert len(code) == 14 and code.count("-") == 2
    assert rules.normalize_tracking_code(code.lower().replace("-", " ")) == code
    assert rules.normalize_tracking_code("oooo-iiii-llll") == "0000-1111-1111"
    assert rules.normalize_tracking_code("ABCD-EFGH-JKU0") is None  # U is not in the alphabet
    assert rules.normalize_tracking_code("ABCD") is None
    with pytest.raises(ValueError):
        rules.format_tracking_code(b"short")


@given(st.binary(min_size=8, max_size=8))
def test_tracking_codes_are_injective_and_readable(raw):
    code = rules.format_tracking_code(raw)
    assert rules.normalize_tracking_code(code) == code
    digits = code.replace("-", "")
    number = 0
    for char in reversed(digits):
        number = number * 32 + rules.CODE_ALPHABET.index(char)
    assert number == int.from_bytes(raw, "big") >> 4


def test_hash_chain_detects_edits_deletions_and_reordering():
    payloads = [{"action": "open", "n": 1}, {"action": "cast", "n": 2}, {"action": "close"}]
    hashes = rules.build_chain(payloads)
    previous = [rules.GENESIS_HASH, *hashes[:-1]]
    entries = list(zip(payloads, previous, hashes, strict=True))
    assert rules.first_broken_link(entries) is None
    edited = [entries[0], ({"action": "cast", "n": 3}, *entries[1][1:]), entries[2]]
    assert rules.first_broken_link(edited) == 1
    assert rules.first_broken_link([entries[0], entries[2]]) == 1
    assert rules.first_broken_link([entries[1], entries[0], entries[2]]) == 0
    assert rules.first_broken_link([]) is None


def test_chain_hash_is_canonical():
    assert rules.chain_hash("0", {"a": 1, "b": "é"}) == rules.chain_hash("0", {"b": "é", "a": 1})
    assert rules.chain_hash("0", {"a": 1}) != rules.chain_hash("1", {"a": 1})


def test_freeze_digest_ignores_order_and_sees_every_change():
    roll = [{"identifier": "D2", "weight": 1}, {"identifier": "D1", "weight": 1}]
    texts = [{"position": 1, "id": 7, "text": "Raison d'être"}]
    digest = rules.freeze_digest(roll, texts, DEFAULT_RULES.to_dict())
    assert digest == rules.freeze_digest(roll[::-1], texts, DEFAULT_RULES.to_dict())
    assert len(digest) == 64
    changed = [{"position": 1, "id": 7, "text": "Raison d’être"}]
    assert digest != rules.freeze_digest(roll, changed, DEFAULT_RULES.to_dict())
    heavier = [{"identifier": "D2", "weight": 2}, roll[1]]
    assert digest != rules.freeze_digest(heavier, texts, DEFAULT_RULES.to_dict())


# --------------------------------------------------------------------------- roll import


def test_a_roll_line_becomes_a_delegate_with_a_weight():
    values = {"identifier": "D001", "name": " Anne  Martin ", "email": "Anne@Example.org"}
    assert rules.read_delegate({**values, "section": "Ouest", "weight": "2"}) == rules.RollRow(
        "D001", "Anne Martin", "anne@example.org", "Ouest", 2
    )
    assert rules.read_delegate(values) == rules.RollRow(
        "D001", "Anne Martin", "anne@example.org", "", 1
    )


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"identifier": "", "name": "F", "email": "f@x.org"}, "missing_value"),
        ({"identifier": "D4", "name": "D", "email": "not-an-email"}, "bad_email"),
        ({"identifier": "D5", "name": "E", "email": "e@x.org", "weight": "0"}, "bad_weight"),
        ({"identifier": "D6", "name": "E", "email": "e@x.org", "weight": "1.5"}, "bad_weight"),
    ],
)
def test_a_bad_roll_line_gives_its_problem(values, code):
    assert rules.read_delegate(values)[0] == code
