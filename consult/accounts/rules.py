"""Pure rules about people: profile values, passwords, and reading an invitation file's lines."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from zxcvbn import zxcvbn

from consult.core.i18n import lazy_gettext as _l
from consult.core.imports.mapping import normalise

#: Age bands used to attribute quotes ("Adhérente, 40-60 ans, Occitanie").
AGE_BANDS = ("moins-20", "20-30", "30-40", "40-60", "60-80", "80-plus")
AGE_BAND_LABELS = {
    "moins-20": _l("under 20"),
    "20-30": _l("20-30 years"),
    "30-40": _l("30-40 years"),
    "40-60": _l("40-60 years"),
    "60-80": _l("60-80 years"),
    "80-plus": _l("over 80"),
}
GENDER_FORMS = ("f", "m", "n")
GENDER_FORM_LABELS = {
    "f": _l("Feminine (Adhérente)"),
    "m": _l("Masculine (Adhérent)"),
    "n": _l("Neutral or not specified (Adhérent·e)"),
}
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
#: Largest invitation file, in people.
MAX_INVITATION_ROWS = 200_000


_POPULATION_CODE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


def is_population_code(code: str) -> bool:
    """True for a code usable in CSV files and URLs: lower-case letters, digits and dashes."""
    return bool(_POPULATION_CODE.match(code or ""))


def normalise_email(address: str) -> str:
    """Validate an e-mail address and return its canonical lower-case form, or raise ValueError."""
    try:
        valid = validate_email((address or "").strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return valid.normalized.lower()


#: zxcvbn's score (0-4) a password must reach: 3 is "safely unguessable" (about 10^8 guesses).
MIN_PASSWORD_SCORE = 3
#: Words of this site that an attacker tries first, whatever the person.
SITE_WORDS = ("consult", "consultation", "mutuelle", "adherent", "adherente", "raison", "etre")


def password_problem(password: str, user_inputs: Sequence[str] = ()) -> object | None:
    """Why a password is not acceptable, or None when it is.

    Beyond the length, zxcvbn (a maintained strength estimator that ships its own lists of
    common passwords, names and words, and spots keyboard rows, dates and repeats) must find it
    hard to guess; `user_inputs` are the person's own words (address, name), weak for them.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("The password must have at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)
    if password.strip() != password or len(set(password)) < 4:
        return _l("Choose a less predictable password.")
    words = [*SITE_WORDS, *(w for w in user_inputs if w)]
    # zxcvbn reads at most 72 characters (its cost grows with length); a longer passphrase is
    # judged by its beginning.
    if zxcvbn(password[:72], user_inputs=words)["score"] < MIN_PASSWORD_SCORE:
        return _l(
            "This password is too common or too easy to guess. Choose a longer one, for "
            "instance three or four words that have nothing to do with each other or with you."
        )
    return None


def personal_words(email: str, display_name: str = "") -> list[str]:
    """The words of a person's address and name, which their password must not rest on."""
    local, _at, domain = (email or "").lower().partition("@")
    parts = re.split(r"[^\w]+", f"{local} {domain} {display_name.lower()}")
    return [local, *(p for p in parts if len(p) >= 3)]


@dataclass(frozen=True)
class InvitationRow:
    """One person to invite, as read from a line of an organiser's file."""

    line: int
    email: str
    category: str
    region: str | None = None
    age_band: str | None = None
    gender: str = "n"
    name: str = ""
    #: The fields the line gives a value for (an empty cell does not change an account).
    given: frozenset[str] = frozenset()


#: How people's files write the gender forms (compared once `spelling` has simplified them).
GENDER_SPELLINGS = {
    **dict.fromkeys(
        ("f", "femme", "feminin", "mme", "madame", "mlle", "female", "woman", "w"), "f"
    ),
    **dict.fromkeys(("m", "homme", "masculin", "h", "monsieur", "mr", "male", "man"), "m"),
    **dict.fromkeys(("n", "", "neutre", "autre", "nonprecise", "neutral", "other", "x"), "n"),
}
#: Age bands as people write them ("40-60 ans", "plus de 80"), simplified by `spelling`.
AGE_BAND_SPELLINGS = {
    **{band.replace("-", ""): band for band in AGE_BANDS},
    **{band.replace("-", "") + "ans": band for band in AGE_BANDS},
    "moinsde20": "moins-20",
    "moinsde20ans": "moins-20",
    "plusde80": "80-plus",
    "plusde80ans": "80-plus",
    "80": "80-plus",
    "80ans": "80-plus",
    "80ansetplus": "80-plus",
}


def spelling(text: str) -> str:
    """A value simplified for comparison: no accents, case, spaces or punctuation."""
    return normalise(text)


def read_invitation(
    line: int, values: dict[str, str], categories: dict[str, str], regions: dict[str, str]
) -> InvitationRow | object:
    """One line of an invitation file as a row, or the reason it is refused.

    ``categories`` and ``regions`` map every accepted spelling (see `spelling`) to the stored
    code or name: a population is written by its code, its name or one of its labels.
    """
    try:
        email = normalise_email(values.get("email", ""))
    except ValueError:
        return _l("“%(value)s” is not a valid e-mail address.", value=values.get("email", ""))
    given = values.get("category", "")
    category = categories.get(spelling(given))
    if category is None:
        return _l(
            "Unknown category “%(value)s” (expected one of: %(known)s).",
            value=given,
            known=", ".join(sorted(set(categories.values()))),
        )
    region = None
    if values.get("region"):
        region = regions.get(spelling(values["region"]))
        if region is None:
            return _l("Unknown region “%(value)s”.", value=values["region"])
    age_band = None
    if values.get("age_band"):
        age_band = AGE_BAND_SPELLINGS.get(spelling(values["age_band"]))
        if age_band is None:
            return _l(
                "Unknown age band “%(value)s” (expected one of: %(known)s).",
                value=values["age_band"],
                known=", ".join(AGE_BANDS),
            )
    gender = GENDER_SPELLINGS.get(spelling(values.get("gender", "")))
    if gender is None:
        return _l(
            "Unknown gender form “%(value)s” (expected f, m or n).", value=values.get("gender")
        )
    return InvitationRow(
        line=line,
        email=email,
        category=category,
        region=region,
        age_band=age_band,
        gender=gender,
        name=" ".join(values.get("name", "").split())[:120],
        given=frozenset(key for key, value in values.items() if value.strip()),
    )
