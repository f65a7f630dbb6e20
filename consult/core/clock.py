"""One notion of time: naive UTC in storage, Europe/Paris for people."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    """Return the current time as naive UTC, the form every column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime | None, zone: ZoneInfo = PARIS) -> datetime | None:
    """Convert a stored naive-UTC moment to an aware local one for display."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(zone)


def parse_local(moment: datetime | None, zone: ZoneInfo = PARIS) -> datetime | None:
    """Interpret a naive local date-time typed by a person and return naive UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None)
