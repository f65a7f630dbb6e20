"""Pure rules of panels: duplicates, quotas, commitment, seeds, invitations, questionnaire."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.panels.rules import (
    Identity,
    PanelInputError,
    PanelSpec,
    QuestionnaireAnswer,
    Quota,
    SeededStream,
    Volunteer,
    canonical_inputs,
    check_inputs,
    commitment,
    find_duplicates,
    inputs_document,
    matches_existing,
    next_invitation_status,
    normalise_name,
    obvious_infeasibilities,
    panel_meets_quotas,
    parse_inputs_document,
    replacement_specs,
    split_words,
    summarise_questionnaire,
)


def person(key, email="", first="", last="", year=None, postcode=""):
    """An identity with defaults that never match."""
    return Identity(key, email, first, last, year, postcode)


# ---------------------------------------------------------------- duplicates


def test_same_email_in_other_case_is_a_duplicate():
    groups = find_duplicates(
        [
            person("a", "Marie@Example.org"),
            person("b", " marie@example.org "),
            person("c", "x@y.fr"),
        ]
    )
    assert [(g.keys, g.reasons) for g in groups] == [(("a", "b"), ("email",))]


def test_same_name_year_and_postcode_is_a_duplicate_despite_accents_and_order():
    groups = find_duplicates(
        [
            person("a", "a@x.fr", "Hélène", "Le Gall", 1971, "29 200"),
            person("b", "b@x.fr", "LE GALL", "helene", 1971, "29200"),
            person("c", "c@x.fr", "Hélène", "Le Gall", 1972, "29200"),  # other year
            person("d", "d@x.fr", "Hélène", "Le Gall", 1971, "29000"),  # other postcode
        ]
    )
    assert [(g.keys, g.reasons) for g in groups] == [(("a", "b"), ("name_year_postcode",))]


def test_duplicates_are_transitive():
    groups = find_duplicates(
        [
            person("c", "x@x.fr", "Paul", "Martin", 1980, "75011"),
            person("a", "x@x.fr"),
            person("b", "y@y.fr", "Martin", "Paul", 1980, "75011"),
        ]
    )
    assert [(g.keys, g.reasons) for g in groups] == [
        (("a", "b", "c"), ("email", "name_year_postcode"))
    ]


def test_missing_fields_never_match():
    assert find_duplicates([person("a"), person("b"), person("c", "", "Jo", "Lo", None, "1")]) == []


def test_matches_existing_for_the_public_form():
    existing = [person("a", "a@x.fr"), person("b", "", "Jo", "Lo", 1990, "44000")]
    assert matches_existing(person("new", "A@x.fr"), existing) == ["a"]
    assert matches_existing(person("new", "n@x.fr", "lo", "JO", 1990, "44 000"), existing) == ["b"]
    assert matches_existing(person("new", "n@x.fr", "Jo", "Lo", 1991, "44000"), existing) == []


def test_normalise_name():
    assert normalise_name("  Jean-Édouard ", "d'Arc") == "arc d edouard jean"


@given(st.lists(st.tuples(st.sampled_from(["a@x", "b@x", ""]), st.integers(1, 3)), max_size=12))
def test_duplicate_groups_partition_the_matching_people(rows):
    people = [person(f"k{i}", e, "N", "M", y, "1") for i, (e, y) in enumerate(rows)]
    groups = find_duplicates(people)
    seen = [k for g in groups for k in g.keys]
    assert len(seen) == len(set(seen))
    for g in groups:
        assert len(g.keys) >= 2
    # two people with the same e-mail are always in one group
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            if a.email and a.email == b.email:
                assert any({a.key, b.key} <= set(g.keys) for g in groups)


# ---------------------------------------------------------------- inputs and counting checks


def vol(key, **features):
    """A volunteer with keyword features."""
    return Volunteer.of(key, features)


def test_check_inputs_refuses_missing_feature_and_duplicate_keys():
    panel = PanelSpec("A", 1, (Quota("gender", "f", 0, 1),))
    with pytest.raises(PanelInputError, match="no value for the feature 'gender'"):
        check_inputs([vol("1", age="20-30")], [panel])
    with pytest.raises(PanelInputError, match="same key"):
        check_inputs([vol("1", gender="f"), vol("1", gender="m")], [panel])
    with pytest.raises(PanelInputError, match="at least one seat"):
        check_inputs([vol("1", gender="f")], [PanelSpec("A", 0)])
    with pytest.raises(PanelInputError, match="same name"):
        check_inputs([vol("1", gender="f")], [PanelSpec("A", 1), PanelSpec("A", 1)])


def test_obvious_infeasibilities_name_each_constraint_with_figures():
    pool = [vol(str(i), gender="f" if i < 3 else "m", age="old") for i in range(10)]
    panels = [
        PanelSpec(
            "A",
            4,
            (
                Quota("gender", "f", 2, 1),
                Quota("gender", "m", 3, 4),
                Quota("age", "old", 0, 2),
            ),
        ),
        PanelSpec("B", 4, (Quota("gender", "f", 2, 4),)),
    ]
    found = {
        (c.kind, c.panel, c.feature, c.value, c.needed, c.available)
        for c in obvious_infeasibilities(pool, panels)
    }
    assert found == {
        ("min_above_max", "A", "gender", "f", 2, 1),
        ("minimums_exceed_size", "A", "gender", None, 5, 4),
        ("maximums_below_size", "A", "age", None, 4, 2),
        ("not_enough_volunteers", None, "gender", "f", 4, 3),
    }


def test_pool_smaller_than_the_seats():
    problems = obvious_infeasibilities(
        [vol("1", g="f")], [PanelSpec("A", 2, (Quota("g", "f", 0, 2),))]
    )
    assert [(c.kind, c.needed, c.available) for c in problems] == [("pool_too_small", 2, 1)]
    assert problems[0].describe() == "The panels have 2 seats, the pool has 1 volunteers."


def test_value_absent_from_the_quotas_is_unconstrained():
    pool = [vol("1", g="x"), vol("2", g="y")]
    assert obvious_infeasibilities(pool, [PanelSpec("A", 2, (Quota("g", "x", 0, 1),))]) == []


# ---------------------------------------------------------------- commitment and seed


def test_commitment_ignores_listing_order_but_not_content():
    pool = [vol("b", g="f", a="1"), vol("a", a="2", g="m")]
    panels = [PanelSpec("A", 1, (Quota("g", "m", 0, 1), Quota("g", "f", 0, 1)))]
    same = [vol("a", g="m", a="2"), vol("b", a="1", g="f")]
    reordered = [PanelSpec("A", 1, (Quota("g", "f", 0, 1), Quota("g", "m", 0, 1)))]
    digest = commitment(pool, panels, "leximin")
    assert digest == commitment(same, reordered, "leximin")
    assert len(digest) == 64
    assert digest != commitment(pool, panels, "maximin")
    assert digest != commitment([vol("b", g="f", a="1"), vol("a", a="2", g="f")], panels, "leximin")
    assert canonical_inputs(pool, panels, "leximin").startswith(b'{"format":"consult-panels/1"')


def test_inputs_document_round_trips():
    pool = [vol("b", g="é"), vol("a", g="m")]
    panels = [PanelSpec("Nantes", 1, (Quota("g", "m", 0, 1),)), PanelSpec("Brest", 1)]
    document = inputs_document(pool, panels, "maximin")
    volunteers, specs, method = parse_inputs_document(document)
    assert commitment(volunteers, specs, method) == commitment(pool, panels, "maximin")
    assert [p.name for p in specs] == ["Nantes", "Brest"]
    with pytest.raises(PanelInputError, match="Malformed"):
        parse_inputs_document({"format": "consult-panels/1", "panels": [{"name": "x"}]})
    with pytest.raises(PanelInputError, match="Unsupported"):
        parse_inputs_document({**document, "format": "other"})


def test_seeded_stream_is_fixed_by_commitment_and_seed():
    a = SeededStream("00" * 32, " 12 34  56 ")
    b = SeededStream("00" * 32, "12 34 56")
    assert [a.below(1000) for _ in range(5)] == [b.below(1000) for _ in range(5)]
    # a published value, so that a change of algorithm cannot go unnoticed
    stream = SeededStream("00" * 32, "dice 3 5 1")
    assert [stream.below(100) for _ in range(5)] == [72, 28, 94, 88, 17]
    assert SeededStream("11" * 32, "x").shuffled(range(10)) != SeededStream(
        "11" * 32, "y"
    ).shuffled(range(10))


def test_seeded_stream_is_roughly_uniform():
    stream = SeededStream("ab" * 32, "seed")
    counts = [0] * 6
    for _ in range(6000):
        counts[stream.below(6)] += 1
    assert all(900 < c < 1100 for c in counts)


@given(st.integers(1, 40), st.text(max_size=8))
def test_shuffle_is_a_permutation(n, seed):
    assert sorted(SeededStream("cd" * 32, seed).shuffled(range(n))) == list(range(n))


# ---------------------------------------------------------------- invitations and replacement


def test_invitation_transitions():
    assert next_invitation_status("invited", "accept") == "accepted"
    assert next_invitation_status("invited", "decline") == "declined"
    assert next_invitation_status("accepted", "withdraw") == "declined"
    assert next_invitation_status("declined", "replace") == "replaced"
    assert next_invitation_status("declined", "accept") is None
    assert next_invitation_status("replaced", "replace") is None


def test_replacement_specs_shift_the_quotas():
    panel = PanelSpec("A", 4, (Quota("g", "f", 2, 3), Quota("g", "m", 1, 2)))
    kept = {"A": [vol("1", g="f"), vol("2", g="f"), vol("3", g="m")]}
    assert replacement_specs([panel, PanelSpec("B", 1)], kept) == [
        PanelSpec("A", 1, (Quota("g", "f", 0, 1), Quota("g", "m", 0, 1))),
        PanelSpec("B", 1, ()),
    ]
    full = {"A": kept["A"] + [vol("4", g="m")]}
    assert replacement_specs([panel], full) == []
    with pytest.raises(PanelInputError, match="above its maximum"):
        replacement_specs([panel], {"A": [vol(str(i), g="m") for i in range(3)]})


def test_panel_meets_quotas_lists_the_broken_quota():
    panel = PanelSpec("A", 2, (Quota("g", "f", 1, 1),))
    assert panel_meets_quotas([vol("1", g="f"), vol("2", g="m")], panel) == []
    assert panel_meets_quotas([vol("1", g="m"), vol("2", g="m")], panel) == [Quota("g", "f", 1, 1)]


# ---------------------------------------------------------------- questionnaire


def test_questionnaire_summary_worked_example():
    answers = [
        QuestionnaireAnswer(5, True, "Écoute, partage et solidarité"),
        QuestionnaireAnswer(4, True, "partage; découverte"),
        QuestionnaireAnswer(4, False, "l'écoute"),
        QuestionnaireAnswer(2, True, ""),
    ]
    summary = summarise_questionnaire(answers)
    assert summary.respondents == 4
    assert summary.satisfaction_counts == (0, 1, 0, 2, 1)
    assert summary.satisfaction_mean_tenths == 38  # 15 / 4 = 3.75 -> 3.8
    assert summary.follow_up_yes == 3
    assert summary.follow_up_percent == 75
    assert summary.words[:2] == (("partage", 2), ("écoute", 2))
    assert ("solidarité", 1) in summary.words


def test_questionnaire_of_nobody_and_rounding():
    empty = summarise_questionnaire([])
    assert empty.satisfaction_mean_tenths is None and empty.follow_up_percent is None
    # 56 panellists, 48 want to follow: 85.71 % -> 86 ; the report's "85 %" is 47-48 of 56
    answers = [QuestionnaireAnswer(3, i < 48, "") for i in range(56)]
    assert summarise_questionnaire(answers).follow_up_percent == 86
    with pytest.raises(ValueError):
        summarise_questionnaire([QuestionnaireAnswer(6, True, "")])


def test_split_words_drops_stop_words_and_elisions():
    assert split_words("L'écoute, c'est très bien ! Et la confiance.") == [
        "écoute",
        "bien",
        "confiance",
    ]
