"""Pure rules of personal data: when retention ends, and how an export is laid out as CSV."""

from datetime import datetime, timedelta

from consult.core import spreadsheet
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l

#: The longest retention an organiser may set (ten years).
MAX_KEEP_DAYS = 3650
#: Domain of the placeholder addresses left in erased rows (RFC 2606: never delivered).
ERASED_DOMAIN = "erased.invalid"


def check_keep_days(value) -> int:
    """The number of days typed by an organiser, or a clear refusal."""
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        raise RuleError(_l("Give a whole number of days."), field="keep_days") from None
    if not 0 <= days <= MAX_KEEP_DAYS:
        raise RuleError(
            _l("Give a number of days between 0 and %(max)d.", max=MAX_KEEP_DAYS),
            field="keep_days",
        )
    return days


def erase_on(ended_at: datetime | None, keep_days: int) -> datetime | None:
    """When the data must be erased: the end plus the retention; None while it has not ended."""
    if ended_at is None:
        return None
    return ended_at + timedelta(days=keep_days)


def is_due(ended_at: datetime | None, keep_days: int, now: datetime) -> bool:
    """True once the retention period after the end has passed."""
    moment = erase_on(ended_at, keep_days)
    return moment is not None and now >= moment


def project_end(status: str, moments: list[datetime]) -> datetime | None:
    """A panel project ends at its last session or draw, once drawn (None before)."""
    if status not in ("drawn", "closed") or not moments:
        return None
    return max(moments)


def placeholder_email(kind: str, row_id: int) -> str:
    """A unique address that says the real one was erased ("deleted-12@erased.invalid")."""
    return f"{kind}-{row_id}@{ERASED_DOMAIN}"


def flatten(data: dict) -> list[tuple[str, str, str, str]]:
    """Lay an export out as rows (section, record, field, value): one CSV holds every section."""
    rows = []
    for section, content in data.items():
        records = content if isinstance(content, list) else [content]
        for number, record in enumerate(records, start=1):
            for key, value in record.items():
                rows.append((section, str(number), key, _cell(value)))
    return rows


def _cell(value) -> str:
    """One value as text: lists joined, None empty, formulas defused for spreadsheets."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | tuple):
        text = "; ".join(_cell(v) for v in value)
    else:
        text = str(value)
    # a cell starting with = + - @ is run as a formula by spreadsheet programs
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(rows: list[tuple[str, str, str, str]], header: tuple[str, str, str, str]) -> str:
    """The rows as CSV text (UTF-8 with a BOM; every cell neutralised by the one CSV writer)."""
    return spreadsheet.csv_text(header, rows, delimiter=",")
