"""Pure rules about people: passwords, e-mail addresses and reading an invitation CSV (no app)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.accounts import rules
from consult.accounts.rules import decode_csv, normalise_email, parse_invitations, password_problem

CATEGORIES = {"member", "employee", "delegate", "company", "citizen"}
REGIONS = {"Occitanie", "Bretagne", "Île-de-France"}


def messages(parsed):
    """The (line, message) pairs of a parsed file, messages as plain strings."""
    return [(line, str(message)) for line, message in parsed.errors]


# --- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["correct-horse-battery", "a1b2c3d4e5", "Vive la mutualité 1945", "x" * 9 + "yzw"],
)
def test_acceptable_passwords(password):
    assert password_problem(password) is None


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
    assert password_problem("abcd" + "e" * (rules.MIN_PASSWORD_LENGTH - 4)) is None
    assert password_problem("abcd" + "e" * (rules.MAX_PASSWORD_LENGTH - 4)) is None
    assert password_problem("abcd" + "e" * (rules.MAX_PASSWORD_LENGTH - 3)) is not None


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


# --- decoding an upload -----------------------------------------------------------------------


def test_utf8_with_and_without_bom_is_decoded():
    text = "email,category\nélodie@example.org,member\n"
    assert decode_csv(text.encode("utf-8")) == text
    assert decode_csv(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


def test_wrong_encoding_gets_a_message_that_says_how_to_fix_it():
    raw = "email;category;region\nhélène@example.org;member;Île-de-France\n".encode("cp1252")
    with pytest.raises(ValueError) as caught:
        decode_csv(raw)
    assert "UTF-8" in str(caught.value.args[0])


# --- parsing invitations ----------------------------------------------------------------------


def test_good_file_with_semicolons_gives_one_row_per_person():
    text = (
        "email;category;region;age_band;gender;name\n"
        "Claire.Martin@example.org;member;Occitanie;40-60;f;Claire Martin\n"
        "paul.durand@example.org;Employee;bretagne;30-40;M;Paul Durand\n"
    )
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert parsed.errors == []
    assert [
        (r.line, r.email, r.category, r.region, r.age_band, r.gender, r.name) for r in parsed.rows
    ] == [
        (2, "claire.martin@example.org", "member", "Occitanie", "40-60", "f", "Claire Martin"),
        (3, "paul.durand@example.org", "employee", "Bretagne", "30-40", "m", "Paul Durand"),
    ]


def test_good_file_with_commas_and_a_bom_and_only_required_columns():
    raw = "\ufeffEmail , Category\r\nclaire@example.org,member\r\n\r\npaul@example.org,citizen\r\n"
    parsed = parse_invitations(decode_csv(raw.encode("utf-8")), CATEGORIES, REGIONS)
    assert parsed.errors == []
    assert [(r.line, r.email, r.category, r.region, r.gender) for r in parsed.rows] == [
        (2, "claire@example.org", "member", None, "n"),
        (4, "paul@example.org", "citizen", None, "n"),
    ]


def test_bom_left_in_the_text_does_not_hide_the_email_column():
    parsed = parse_invitations(
        "\ufeffemail;category\nclaire@example.org;member\n", CATEGORIES, REGIONS
    )
    assert messages(parsed) == []
    assert [r.email for r in parsed.rows] == ["claire@example.org"]


def test_quoted_fields_with_the_separator_inside_are_read_whole():
    text = 'email,category,name\nclaire@example.org,member,"Martin, Claire"\n'
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert parsed.rows[0].name == "Martin, Claire"


def test_bad_rows_are_reported_with_their_line_numbers():
    text = (
        "email;category;region;age_band;gender\n"
        "claire@example.org;member;Occitanie;40-60;f\n"
        "not-an-address;member;;;\n"
        "paul@example.org;pirate;;;\n"
        "lea@example.org;member;Atlantis;;\n"
        "zoe@example.org;member;;25-35;\n"
        "yves@example.org;member;;;x\n"
        "marc@example.org;member;;;;extra\n"
    )
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    found = messages(parsed)
    assert [line for line, _ in found] == [3, 4, 5, 6, 7, 8]
    assert "not-an-address" in found[0][1] and "not a valid e-mail" in found[0][1]
    assert "pirate" in found[1][1] and "member" in found[1][1]
    assert "Atlantis" in found[2][1]
    assert "25-35" in found[3][1] and "40-60" in found[3][1]
    assert "“x”" in found[4][1]
    assert "more fields" in found[5][1]
    # The good row is still read: the caller decides to import nothing when there are errors.
    assert [r.email for r in parsed.rows] == ["claire@example.org"]


def test_duplicates_in_the_file_name_the_first_line():
    text = (
        "email,category\n"
        "claire@example.org,member\n"
        "paul@example.org,member\n"
        "CLAIRE@example.org,employee\n"
    )
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert messages(parsed) == [(4, "claire@example.org already appears on line 2.")]


def test_people_who_already_have_an_account_are_reported():
    text = "email,category\nclaire@example.org,member\nPaul@Example.org,member\n"
    parsed = parse_invitations(text, CATEGORIES, REGIONS, existing_emails={"paul@example.org"})
    assert messages(parsed) == [(3, "paul@example.org already has an account.")]


def test_unknown_columns_are_refused_on_line_one():
    text = "email,category,telephone,iban\nclaire@example.org,member,0600000000,FR76\n"
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert messages(parsed) == [(1, "Unknown column(s): telephone, iban.")]
    assert parsed.rows == []


def test_missing_required_columns_are_refused_on_line_one():
    parsed = parse_invitations("email,region\nclaire@example.org,Occitanie\n", CATEGORIES, REGIONS)
    assert messages(parsed) == [(1, "Missing column(s): category.")]


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff"])
def test_empty_file_is_refused(text):
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert messages(parsed) == [(1, "The file is empty.")]


def test_header_without_rows_is_refused():
    parsed = parse_invitations("email;category\n\n", CATEGORIES, REGIONS)
    assert messages(parsed) == [(1, "The file has a header but no one to invite.")]


def test_too_many_rows_stops_with_a_message(monkeypatch):
    monkeypatch.setattr(rules, "MAX_INVITATION_ROWS", 3)
    text = "email,category\n" + "".join(f"p{i}@example.org,member\n" for i in range(5))
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert messages(parsed) == [(5, "Too many rows (at most 3).")]


@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(CATEGORIES)), st.sampled_from(["", *sorted(REGIONS)])),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([",", ";"]),
)
def test_every_valid_row_is_read_once_with_its_line(people, separator):
    lines = [f"email{separator}category{separator}region"]
    lines += [f"p{i}@example.org{separator}{c}{separator}{r}" for i, (c, r) in enumerate(people)]
    parsed = parse_invitations("\n".join(lines) + "\n", CATEGORIES, REGIONS)
    assert parsed.errors == []
    assert [r.line for r in parsed.rows] == list(range(2, len(people) + 2))
    assert [(r.category, r.region or "") for r in parsed.rows] == people


def test_an_unclosed_quote_is_reported_on_its_line_not_a_crash():
    text = 'email,category\nclaire@example.org,member\n"paul@example.org,member\n' + "x" * 200_000
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert messages(parsed) == [(3, "This line cannot be read: check its quotation marks.")]


def test_a_header_that_cannot_be_read_is_reported():
    parsed = parse_invitations('"' + "x" * 200_000, CATEGORIES, REGIONS)
    assert messages(parsed) == [(1, "This line cannot be read: check its quotation marks.")]


def test_lines_ending_in_a_carriage_return_only_are_read():
    text = "email;category\rclaire@example.org;member\r\rpaul@example.org;citizen\r"
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert parsed.errors == []
    assert [(r.line, r.email) for r in parsed.rows] == [
        (2, "claire@example.org"),
        (4, "paul@example.org"),
    ]


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_with_line_numbers_never_a_crash(text):
    parsed = parse_invitations(text, CATEGORIES, REGIONS)
    assert all(line >= 1 for line, _ in parsed.errors)
    assert parsed.rows or parsed.errors
