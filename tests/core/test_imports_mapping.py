"""Columns matched to fields: synonyms in French and English, remembered choices (no app)."""

from consult.core.imports.mapping import (
    COMMON_SYNONYMS,
    Field,
    normalise,
    problems,
    records,
    suggest,
    to_remember,
)

FIELDS = [
    Field("email", "E-mail", COMMON_SYNONYMS["email"], required=True),
    Field("name", "Name", COMMON_SYNONYMS["name"] + ("nom",)),
    Field("region", "Region", COMMON_SYNONYMS["region"]),
]


def test_normalise_ignores_accents_case_spaces_and_punctuation():
    assert (
        normalise("  Adresse Électronique ")
        == normalise("adresse-electronique")
        == ("adresseelectronique")
    )
    assert normalise("E-mail") == normalise("email") == normalise("EMAIL")


def test_french_and_english_synonyms_are_recognised():
    for header in ("Courriel", "E-mail", "Adresse électronique", "MAIL", "Email address", "Mél"):
        assert suggest([header, "Nom", "Région"], FIELDS) == ["email", "name", "region"], header


def test_unknown_columns_are_left_out_and_a_field_fills_one_column_only():
    assert suggest(["Courriel", "Téléphone", "E-mail"], FIELDS) == ["email", None, None]


def test_the_remembered_mapping_wins_even_to_leave_a_column_out():
    remembered = {"mel2": "email", "courriel": None, "secteur": "region"}
    assert suggest(["Courriel", "Mel 2", "Secteur"], FIELDS, remembered) == [
        None,
        "email",
        "region",
    ]
    # A remembered field that the import no longer has is ignored.
    assert suggest(["Secteur"], FIELDS, {"secteur": "gone"}) == [None]


def test_problems_name_a_missing_required_field_and_a_field_chosen_twice():
    assert problems(["email", "name"], FIELDS) == []
    found = [str(p) for p in problems(["name", "name"], FIELDS)]
    assert len(found) == 2 and "Name" in found[0] and "E-mail" in found[1]


def test_to_remember_and_records():
    columns = ["Courriel", "Téléphone", ""]
    mapping = ["email", None, None]
    assert to_remember(columns, mapping) == {"courriel": "email", "telephone": None}
    rows = [(2, ("a@b.fr", "06", "x")), (4, ("c@d.fr", "", ""))]
    assert list(records(rows, mapping)) == [(2, {"email": "a@b.fr"}), (4, {"email": "c@d.fr"})]
