"""Settings edited by administrators: parsing what was typed, and which value was in force when.

Pure functions on plain values (no Flask, no session): the settings service reads the history
from the database and asks these functions which value applies, and whether a typed value holds.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum


class Problem(StrEnum):
    """Why a typed value is refused (the service turns each into a message)."""

    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    REASON_LINE = "reason_line"
    REASON_CODE = "reason_code"
    REASON_TWICE = "reason_twice"
    REASON_LABEL_LONG = "reason_label_long"
    REASONS_NONE = "reasons_none"
    REASONS_MANY = "reasons_many"
    RATIO = "ratio"
    CHOICE = "choice"


class SettingInvalid(ValueError):
    """A typed value that cannot be saved; ``problem`` says why, ``details`` fill the message."""

    def __init__(self, problem: Problem, **details):
        super().__init__(problem.value)
        self.problem = problem
        self.details = details


#: A reason's code: what decisions store, so it never changes once used.
REASON_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: The reason every list ends with; it is added by moderation, never typed.
OTHER = "other"
MAX_REASONS = 30
MAX_REASON_LABEL = 120


def parse_integer(text: str | None, minimum: int, maximum: int) -> int:
    """A whole number between ``minimum`` and ``maximum``, typed with or without spaces."""
    cleaned = (text or "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not re.fullmatch(r"\d{1,9}", cleaned):
        raise SettingInvalid(Problem.NOT_A_NUMBER)
    value = int(cleaned)
    if not minimum <= value <= maximum:
        raise SettingInvalid(Problem.OUT_OF_RANGE, minimum=minimum, maximum=maximum)
    return value


def parse_reasons(text: str | None) -> dict[str, str]:
    """Moderation reasons typed one a line as ``code: label`` (``other`` is always added).

    The code is what decisions store: lower-case letters, digits and underscores.
    """
    reasons: dict[str, str] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        code, colon, label = line.partition(":")
        code, label = code.strip(), " ".join(label.split())
        if not colon or not label:
            raise SettingInvalid(Problem.REASON_LINE, line=number)
        if not REASON_CODE_RE.fullmatch(code):
            raise SettingInvalid(Problem.REASON_CODE, line=number, code=code[:40])
        if code in reasons:
            raise SettingInvalid(Problem.REASON_TWICE, line=number, code=code)
        if len(label) > MAX_REASON_LABEL:
            raise SettingInvalid(Problem.REASON_LABEL_LONG, line=number, maximum=MAX_REASON_LABEL)
        if code != OTHER:
            reasons[code] = label
    if not reasons:
        raise SettingInvalid(Problem.REASONS_NONE)
    if len(reasons) > MAX_REASONS:
        raise SettingInvalid(Problem.REASONS_MANY, maximum=MAX_REASONS)
    return reasons


def format_reasons(reasons: Mapping[str, str]) -> str:
    """The text that ``parse_reasons`` reads back into the same reasons."""
    return "\n".join(f"{code}: {label}" for code, label in reasons.items() if code != OTHER)


def parse_choice(text: str | None, allowed: Sequence[str]) -> str:
    """One of the allowed values."""
    if text not in allowed:
        raise SettingInvalid(Problem.CHOICE)
    return text


def value_at(history: Sequence[tuple[datetime, object]], moment: datetime, default):
    """The value in force at ``moment``: the last one saved at or before it, else the default.

    ``history`` is sorted by the moment each value took effect.
    """
    index = bisect_right([when for when, _ in history], moment)
    return history[index - 1][1] if index else default


def consultation_moment(
    status: str, closes_at: datetime, closed_at: datetime | None, now: datetime
) -> datetime:
    """The moment whose settings apply to a consultation: its end once it is over, else now.

    A closed consultation keeps the settings it ran with, whatever is changed afterwards.
    """
    ends = min(closes_at, closed_at) if closed_at else closes_at
    if status == "closed" or ends <= now:
        return min(ends, now)
    return now
