"""Pure rules about people: profile values, passwords, and reading an invitation CSV."""

import csv
import io
import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

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
MAX_INVITATION_ROWS = 50_000

CSV_COLUMNS = ("email", "category", "region", "age_band", "gender", "name")
REQUIRED_COLUMNS = ("email", "category")


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


def password_problem(password: str) -> object | None:
    """Why a password is not acceptable, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("The password must have at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)
    if password.strip() != password or len(set(password)) < 4:
        return _l("Choose a less predictable password.")
    return None


@dataclass
class InvitationRow:
    """One person to invite, as read from a CSV line."""

    line: int
    email: str
    category: str
    region: str | None = None
    age_band: str | None = None
    gender: str = "n"
    name: str = ""


@dataclass
class InvitationFile:
    """What a CSV file holds: rows to import, or errors with their line numbers."""

    rows: list[InvitationRow] = field(default_factory=list)
    errors: list[tuple[int, object]] = field(default_factory=list)


def decode_csv(raw: bytes) -> str:
    """Decode an uploaded CSV as UTF-8 (with or without BOM), or raise ValueError."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            _l(
                "The file is not encoded in UTF-8. In your spreadsheet, save it as "
                "“CSV UTF-8 (comma delimited)” and send it again."
            )
        ) from None


_UNREADABLE_LINE = _l("This line cannot be read: check its quotation marks.")


def _records(reader: csv.DictReader, errors: list):
    """The reader's records; a line it cannot read is reported and ends the reading."""
    try:
        yield from reader
    except csv.Error:
        # line_num still points at the last record read: the faulty one starts on the next line.
        errors.append((reader.line_num + 1, _UNREADABLE_LINE))


def parse_invitations(
    text: str, categories: set[str], regions: set[str], existing_emails: set[str] = frozenset()
) -> InvitationFile:
    """Read invitation rows; every problem is reported with its line number, nothing is guessed."""
    result = InvitationFile()
    text = text.lstrip("\ufeff")  # a byte-order mark left in would hide the first column's name
    if not text.strip():
        result.errors.append((1, _l("The file is empty.")))
        return result
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="" lets the reader split lines ending in \r (old spreadsheets) as well as \n.
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    except csv.Error:
        result.errors.append((1, _UNREADABLE_LINE))
        return result
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        result.errors.append((1, _l("Missing column(s): %(cols)s.", cols=", ".join(missing))))
        return result
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        result.errors.append((1, _l("Unknown column(s): %(cols)s.", cols=", ".join(unknown))))
        return result
    lower_regions = {r.lower(): r for r in regions}
    seen: dict[str, int] = {}
    for count, record in enumerate(_records(reader, result.errors), start=1):
        # The reader skips blank lines, so count lines as the file does, not records.
        line = reader.line_num
        if count > MAX_INVITATION_ROWS:
            result.errors.append(
                (line, _l("Too many rows (at most %(n)d).", n=MAX_INVITATION_ROWS))
            )
            break
        if None in record:
            result.errors.append((line, _l("This line has more fields than the header.")))
            continue
        values = {k: (v or "").strip() for k, v in record.items()}
        if not any(values.values()):
            continue
        try:
            email = normalise_email(values["email"])
        except ValueError:
            result.errors.append(
                (line, _l("“%(value)s” is not a valid e-mail address.", value=values["email"]))
            )
            continue
        if email in seen:
            result.errors.append(
                (line, _l("%(email)s already appears on line %(n)d.", email=email, n=seen[email]))
            )
            continue
        seen[email] = line
        if email in existing_emails:
            result.errors.append((line, _l("%(email)s already has an account.", email=email)))
            continue
        category = values["category"].lower()
        if category not in categories:
            result.errors.append(
                (
                    line,
                    _l(
                        "Unknown category “%(value)s” (expected one of: %(known)s).",
                        value=values["category"],
                        known=", ".join(sorted(categories)),
                    ),
                )
            )
            continue
        region = values.get("region") or None
        if region is not None:
            if region.lower() not in lower_regions:
                result.errors.append((line, _l("Unknown region “%(value)s”.", value=region)))
                continue
            region = lower_regions[region.lower()]
        age_band = values.get("age_band") or None
        if age_band is not None and age_band not in AGE_BANDS:
            result.errors.append(
                (
                    line,
                    _l(
                        "Unknown age band “%(value)s” (expected one of: %(known)s).",
                        value=age_band,
                        known=", ".join(AGE_BANDS),
                    ),
                )
            )
            continue
        gender = (values.get("gender") or "n").lower()
        if gender not in GENDER_FORMS:
            result.errors.append(
                (line, _l("Unknown gender form “%(value)s” (expected f, m or n).", value=gender))
            )
            continue
        result.rows.append(
            InvitationRow(
                line=line,
                email=email,
                category=category,
                region=region,
                age_band=age_band,
                gender=gender,
                name=values.get("name", "")[:120],
            )
        )
    if not result.rows and not result.errors:
        result.errors.append((1, _l("The file has a header but no one to invite.")))
    return result
