"""Pure rules about people: passwords, e-mail addresses, lines of an invitation file (no app)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.accounts import rules
from consult.accounts.rules import normalise_email, password_problem, spelling

CATEGORIES = {
    spelling(name): code
    for code, names in {
        "member": ("member", "Adhérents", "Adhérente", "Adhérent"),
        "employee": ("employee", "Salariés"),
        "delegate": ("delegate",),
        "company": ("company",),
        "citizen": ("citizen",),
    }.items()
    for name in names
}
REGIONS = {spelling(name): name for name in ("Occitanie", "Bretagne", "Île-de-France")}


# --- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["correct-horse-battery", "Kq7#vL2!pZ", "Vive la mutualité 1945", "une-nouvelle-phrase-42"],
)
def test_acceptable_passwords(password):
    assert password_problem(password) is None


@pytest.mark.parametrize(
    "password",
    ["1234567890", "azertyuiop", "azerty123456", "motdepasse123", "a1b2c3d4e5", "x" * 9 + "yzw"],
)
def test_common_passwords_are_refused_with_advice(password):
    """zxcvbn's shipped lists and patterns: common passwords, keyboard rows, sequences."""
    assert "trop courant" in _fr(password_problem(password))


def test_a_password_made_of_the_persons_own_words_is_refused():
    words = rules.personal_words("claire.martin@mutuelle-exemple.fr", "Claire Martin")
    assert password_problem("claire.martin.2026", words) is not None


def _fr(message) -> str:
    from flask import Flask
    from flask_babel import Babel, force_locale

    from consult.core.i18n import translation_directories

    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    Babel(app)
    with app.test_request_context(), force_locale("fr"):
        return str(message)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("", "at least 10"),
        ("abc123xyz", "at least 10"),
        ("a" * 201 + "bcd", "at most 200"),
        ("aaaaaaaaaaaa", "less predictable"),
        ("abababababab", "less predictable"),
        (" correct-horse", "less predictable"),
        ("correct-horse ", "less predictable"),
    ],
)
def test_refused_passwords_say_why(password, why):
    assert why in str(password_problem(password))


def test_password_length_limits_are_inclusive():
    strong = "Kq7#vL2!pZ"
    assert len(strong) == rules.MIN_PASSWORD_LENGTH and password_problem(strong) is None
    long = "Vive la mutualité 1945 "
    assert password_problem(long + "e" * (rules.MAX_PASSWORD_LENGTH - len(long))) is None
    assert password_problem(long + "e" * (rules.MAX_PASSWORD_LENGTH - len(long) + 1)) is not None


@given(st.text(min_size=0, max_size=9))
def test_short_passwords_are_always_refused(password):
    assert password_problem(password) is not None


# --- e-mail addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Claire.Martin@Example.ORG", "claire.martin@example.org"),
        ("  paul@example.org \n", "paul@example.org"),
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
    ],
)
def test_email_is_normalised_to_lower_case_without_spaces(typed, stored):
    assert normalise_email(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", None, "claire", "claire@", "@example.org", "a b@example.org"]
)
def test_invalid_email_is_refused(typed):
    with pytest.raises(ValueError):
        normalise_email(typed)


@given(st.emails())
def test_normalising_is_idempotent(address):
    try:
        once = normalise_email(address)
    except ValueError:
        return  # Hypothesis' addresses are RFC-valid, not all deliverable-looking
    assert normalise_email(once) == once
    assert once == once.lower()


# --- reading a line of an invitation file ----------------------------------------------------


def read(values, line=2):
    """One line read against the demonstration's populations and regions."""
    return rules.read_invitation(line, values, CATEGORIES, REGIONS)


def test_a_good_line_gives_a_row_with_normalised_values():
    row = read(
        {
            "email": " Claire.Martin@Example.org ",
            "category": "Adhérente",
            "region": "ile-de-france",
            "age_band": "40-60 ans",
            "gender": "Madame",
            "name": "  Claire   Martin ",
        }
    )
    assert (row.line, row.email, row.category, row.region, row.age_band, row.gender, row.name) == (
        2,
        "claire.martin@example.org",
        "member",
        "Île-de-France",
        "40-60",
        "f",
        "Claire Martin",
    )
    assert row.given == {"email", "category", "region", "age_band", "gender", "name"}


def test_only_the_required_values():
    row = read({"email": "paul@example.org", "category": "employee", "region": ""})
    assert (row.region, row.age_band, row.gender, row.name) == (None, None, "n", "")
    assert row.given == {"email", "category"}


@pytest.mark.parametrize(
    ("spelling", "band"),
    [("moins de 20", "moins-20"), ("Plus de 80 ans", "80-plus"), ("20 - 30", "20-30")],
)
def test_age_bands_as_people_write_them(spelling, band):
    assert read(
        {"email": "a@example.org", "category": "member", "age_band": spelling}
    ).age_band == (band)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"email": "not-an-address", "category": "member"}, "“not-an-address” is not a valid"),
        ({"email": "a@example.org", "category": "pirate"}, "Unknown category “pirate”"),
        ({"email": "a@example.org", "category": "member", "region": "Atlantis"}, "“Atlantis”"),
        ({"email": "a@example.org", "category": "member", "age_band": "25-35"}, "“25-35”"),
        ({"email": "a@example.org", "category": "member", "gender": "robot"}, "“robot”"),
    ],
)
def test_a_bad_value_is_refused_with_the_value_quoted(values, expected):
    refusal = read(values)
    assert not isinstance(refusal, rules.InvitationRow)
    assert expected in str(refusal)


def test_the_refusal_of_an_unknown_category_lists_the_known_codes():
    assert "citizen, company, delegate, employee, member" in str(
        read({"email": "a@example.org", "category": "?"})
    )


@given(st.dictionaries(st.sampled_from(["email", "category", "region", "gender"]), st.text()))
def test_any_values_give_a_row_or_a_reason_never_a_crash(values):
    result = read(values)
    assert isinstance(result, rules.InvitationRow) or str(result)
