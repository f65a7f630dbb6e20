"""Pure rules of the mission follow-up, with worked examples (no app)."""

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.core.errors import RuleError
from consult.mission import rules
from consult.mission.rules import Component, State, Trend, Version

# --- gap to target ---------------------------------------------------------------------------


def test_redistribution_above_its_target_has_reached_it():
    gap = rules.gap_to_target(D("82.7"), D("80"), "up")
    assert gap.difference == D("2.7") and gap.reached and gap.remaining == 0


def test_emissions_above_a_lower_target_have_eleven_kilos_to_cut():
    gap = rules.gap_to_target(D("60"), D("49"), "down")
    assert gap.difference == D("11") and not gap.reached and gap.remaining == D("11")


def test_emissions_below_a_lower_target_have_reached_it():
    gap = rules.gap_to_target(D("47.33"), D("49"), "down")
    assert gap.difference == D("-1.67") and gap.reached and gap.remaining == 0


def test_a_count_below_its_target_shows_what_remains():
    gap = rules.gap_to_target(D("605"), D("650"), "up")
    assert not gap.reached and gap.remaining == D("45")


def test_exactly_on_target_is_reached_either_way():
    assert rules.gap_to_target(D("49"), D("49"), "down").reached
    assert rules.gap_to_target(D("80"), D("80"), "up").reached


# --- trend -----------------------------------------------------------------------------------


def test_trend_reads_the_direction():
    assert rules.trend(D("81.9"), D("82.7"), "up") is Trend.IMPROVING
    assert rules.trend(D("60"), D("47.33"), "down") is Trend.IMPROVING
    assert rules.trend(D("80"), D("75"), "up") is Trend.WORSENING
    assert rules.trend(D("47"), D("52"), "down") is Trend.WORSENING
    assert rules.trend(D("4"), D("4"), "up") is Trend.STABLE
    assert rules.trend(None, D("4"), "up") is None


@given(st.decimals(-1000, 1000, places=2), st.decimals(-1000, 1000, places=2))
def test_a_trend_flips_with_the_direction(a, b):
    up, down = rules.trend(a, b, "up"), rules.trend(a, b, "down")
    if a == b:
        assert up is down is Trend.STABLE
    else:
        assert {up, down} == {Trend.IMPROVING, Trend.WORSENING}


def test_progress_from_baseline_to_target():
    assert rules.progress(D("60"), D("55"), D("49")) == Fraction(5, 11)
    assert rules.progress(D("60"), D("47.33"), D("49")) == 1
    assert rules.progress(D("60"), D("62"), D("49")) == 0
    assert rules.progress(None, D("55"), D("49")) is None


# --- composite index -------------------------------------------------------------------------


def test_democratic_vitality_index_worked_example():
    # attendance 80 % of 90, 950 registered of 1 500, 1 600 actions of 2 000:
    # (8/9 + 19/30 + 4/5) / 3 = 0.774074... → 77.4
    index = rules.composite_index(
        [
            Component("AG", D("80"), D("90")),
            Component("Élus inscrits", D("950"), D("1500")),
            Component("Actions", D("1600"), D("2000")),
        ]
    )
    assert index == D("77.4")


def test_composite_index_caps_components_and_weighs_them():
    # attendance 87 of 90 (29/30), registered 1 800 of 1 500 → capped at 1, weight 2:
    # (29/30 + 2 × 1) / 3 = 0.98888… → 98.9
    index = rules.composite_index(
        [Component("AG", D("87"), D("90")), Component("Élus", D("1800"), D("1500"), weight=2)]
    )
    assert index == D("98.9")


def test_a_lower_is_better_component_scores_reference_over_value():
    # 60 kg for a 49 kg reference: 49/60 = 0.81666… → 81.7
    assert rules.composite_index([Component("CO2", D("60"), D("49"), "down")]) == D("81.7")


def test_composite_index_refuses_nonsense():
    with pytest.raises(RuleError):
        rules.composite_index([])
    with pytest.raises(RuleError):
        rules.composite_index([Component("x", D("1"), D("0"))])
    with pytest.raises(RuleError):
        rules.composite_index([Component("x", D("1"), D("1"), weight=0)])


def test_rate_percent_rounds_half_up():
    assert rules.rate_percent(232, 304) == D("76.3")
    assert rules.rate_percent(1, 8) == D("12.5")
    assert rules.rate_percent(1, 0) is None


# --- state machine and versions --------------------------------------------------------------


def test_a_value_goes_draft_submitted_validated_audited():
    state = State.DRAFT
    for action, expected in (
        ("submit", State.SUBMITTED),
        ("validate", State.VALIDATED),
        ("audit", State.AUDITED),
    ):
        state = rules.next_state(state, action)
        assert state is expected


def test_a_submitted_value_can_be_returned_to_draft():
    assert rules.next_state("submitted", "return") is State.DRAFT


@pytest.mark.parametrize(
    "state, action",
    [
        ("draft", "validate"),
        ("draft", "audit"),
        ("submitted", "submit"),
        ("submitted", "audit"),
        ("validated", "submit"),
        ("validated", "return"),
        ("audited", "validate"),
    ],
)
def test_other_moves_are_refused(state, action):
    with pytest.raises(RuleError):
        rules.next_state(state, action)


def test_only_a_draft_is_editable_and_only_a_settled_value_corrected():
    assert rules.editable("draft") and not rules.editable("submitted")
    assert not rules.editable("validated") and not rules.editable("audited")
    assert rules.correctable("validated") and rules.correctable("audited")
    assert not rules.correctable("draft")


DAY = date(2024, 12, 31)


def test_a_correction_takes_the_next_version_number():
    versions = [Version(DAY, 1, "validated"), Version(date(2023, 12, 31), 3, "validated")]
    assert rules.check_correction(versions, versions[0], "Erreur de saisie") == 2


def test_a_correction_needs_a_reason_and_a_frozen_value_in_force():
    validated = Version(DAY, 1, "validated")
    with pytest.raises(RuleError):
        rules.check_correction([validated], validated, "  ")
    draft = Version(DAY, 1, "draft")
    with pytest.raises(RuleError):
        rules.check_correction([draft], draft, "raison")
    superseded = Version(DAY, 1, "validated", superseded=True)
    with pytest.raises(RuleError):
        rules.check_correction([superseded], superseded, "raison")


def test_only_one_correction_at_a_time():
    versions = [Version(DAY, 1, "validated"), Version(DAY, 2, "draft")]
    with pytest.raises(RuleError):
        rules.check_correction(versions, versions[0], "raison")


def test_the_value_in_force_is_the_highest_settled_version_not_superseded():
    v1 = Version(DAY, 1, "audited", superseded=True)
    v2 = Version(DAY, 2, "validated")
    v3 = Version(DAY, 3, "draft")
    other = Version(date(2025, 12, 31), 1, "submitted")
    assert rules.in_force([v1, v2, v3, other]) == {DAY: v2}
    assert rules.in_force([v1, v2, v3], DAY) is v2
    assert rules.in_force([other], other.as_of) is None


# --- numbers as people write them ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value, unit",
    [
        ("81,9 %", D("81.9"), "%"),
        ("88 700 €", D("88700"), "€"),
        ("1\u202f252", D("1252"), ""),
        ("47.33", D("47.33"), ""),
        ("-3", D("-3"), ""),
        ("600", D("600"), ""),
    ],
)
def test_parse_number(text, value, unit):
    assert rules.parse_number(text) == (value, unit)


@pytest.mark.parametrize("text", ["", "beaucoup", "12,5,3", "1e5", "NaN", "12 kg 3"])
def test_parse_number_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        rules.parse_number(text)


def test_values_must_fit_their_kind():
    rules.check_value("percent", D("82.7"), "", [])
    rules.check_value("qualitative", None, "Cartographie réalisée", [])
    for kind, value, text, parts in (
        ("percent", D("120"), "", []),
        ("count", D("2.5"), "", []),
        ("count", D("-1"), "", []),
        ("number", None, "", []),
        ("qualitative", None, " ", []),
        ("breakdown", D("84"), "", []),
    ):
        with pytest.raises(RuleError):
            rules.check_value(kind, value, text, parts)


def test_parse_parts():
    assert rules.parse_parts("Offres = 100 %\n\nServices = 84") == [
        {"label": "Offres", "value": "100"},
        {"label": "Services", "value": "84"},
    ]
    with pytest.raises(RuleError):
        rules.parse_parts("Offres 100")
    with pytest.raises(RuleError):
        rules.parse_parts("Offres = beaucoup")
