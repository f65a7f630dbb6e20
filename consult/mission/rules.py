"""Pure rules of the mission follow-up: gaps, trends, progress, the composite index, the value
state machine and its versions, and reading French numbers.

Plain functions on plain values: no Flask, no session, no query. Figures are `Decimal` and
ratios `Fraction`, so 81.9 % stays 81.9 % and a composite index is rounded once, half up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l


class Direction(StrEnum):
    """Which way is better for an indicator."""

    UP = "up"
    DOWN = "down"


class Kind(StrEnum):
    """What an indicator measures."""

    NUMBER = "number"
    PERCENT = "percent"
    COUNT = "count"
    AMOUNT = "amount"
    BREAKDOWN = "breakdown"
    COMPOSITE = "composite"
    QUALITATIVE = "qualitative"


#: Kinds whose value is one figure (a breakdown has a headline figure too).
NUMERIC_KINDS = frozenset(Kind) - {Kind.QUALITATIVE}


def year_end(year: int) -> date:
    """The date a yearly value is stated at: 31 December."""
    return date(year, 12, 31)


# --------------------------------------------------------------------------- gap, trend, progress


@dataclass(frozen=True)
class Gap:
    """How a value stands against its target."""

    #: value − target, signed as the figures are.
    difference: Decimal
    #: True when the target is met (at or above it when higher is better, at or below otherwise).
    reached: bool
    #: What is still to be gained to meet the target (0 once reached).
    remaining: Decimal


def gap_to_target(value: Decimal, target: Decimal, direction: Direction | str) -> Gap:
    """Compare a value with its target in the indicator's direction.

    81.9 % against a target of 80 % (higher is better) → +1.9, reached; 60 kg of CO2 against a
    target of 49 kg (lower is better) → +11, not reached, 11 still to cut.
    """
    difference = Decimal(value) - Decimal(target)
    up = Direction(direction) is Direction.UP
    reached = difference >= 0 if up else difference <= 0
    remaining = Decimal(0) if reached else abs(difference)
    return Gap(difference=difference, reached=reached, remaining=remaining)


class Trend(StrEnum):
    """How a value moved since the previous one, read in the indicator's direction."""

    IMPROVING = "improving"
    WORSENING = "worsening"
    STABLE = "stable"


def trend(previous: Decimal | None, current: Decimal | None, direction: Direction | str) -> Trend:
    """Improving when the value moved the right way (up for "higher is better"), else worsening.

    None when either value is missing; equal values are stable.
    """
    if previous is None or current is None:
        return None
    if current == previous:
        return Trend.STABLE
    rose = current > previous
    up = Direction(direction) is Direction.UP
    return Trend.IMPROVING if rose == up else Trend.WORSENING


def progress(baseline: Decimal | None, value: Decimal, target: Decimal | None) -> Fraction | None:
    """Share of the way from the baseline to the target already covered, between 0 and 1.

    60 kg → 49 kg, now 47.33 kg: 1 (done); now 55 kg: 5/11. None without a baseline, a target,
    or when they are equal (no way to cover).
    """
    if baseline is None or target is None or baseline == target:
        return None
    covered = Fraction(Decimal(value) - Decimal(baseline)) / Fraction(
        Decimal(target) - Decimal(baseline)
    )
    return min(Fraction(1), max(Fraction(0), covered))


# --------------------------------------------------------------------------- composite index


@dataclass(frozen=True)
class Component:
    """One part of a composite index: its value, its reference (target), direction and weight."""

    label: str
    value: Decimal
    reference: Decimal
    direction: Direction | str = Direction.UP
    weight: int = 1


def component_score(component: Component) -> Fraction:
    """How close a component is to its reference, from 0 to 1 (capped at 1 when exceeded).

    Higher is better: value / reference. Lower is better: reference / value.
    """
    value, reference = Fraction(component.value), Fraction(component.reference)
    if reference <= 0:
        raise RuleError(_l("A component's reference must be above zero."))
    if Direction(component.direction) is Direction.UP:
        score = value / reference
    else:
        score = reference / value if value > 0 else Fraction(1)
    return min(Fraction(1), max(Fraction(0), score))


def composite_index(components: Sequence[Component], places: int = 1) -> Decimal:
    """A weighted mean of the components' scores on 100, rounded half up once.

    Attendance 80 % (reference 90 %), 950 elected members registered (reference 1 500) and
    1 600 actions (reference 2 000), equal weights: (8/9 + 19/30 + 4/5) / 3 × 100 = 77.4.
    """
    if not components:
        raise RuleError(_l("A composite index needs at least one component."))
    total_weight = sum(c.weight for c in components)
    if total_weight <= 0 or any(c.weight < 0 for c in components):
        raise RuleError(_l("The weights of a composite index must be positive."))
    mean = sum(component_score(c) * c.weight for c in components) / total_weight
    return round_fraction(mean * 100, places)


def round_fraction(value: Fraction, places: int = 1) -> Decimal:
    """Round an exact fraction half up to a number of decimal places."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rate_percent(part: int, whole: int, places: int = 1) -> Decimal | None:
    """part / whole as a percentage rounded half up (232 of 304 → 76.3); None when empty."""
    if whole <= 0:
        return None
    return round_fraction(Fraction(100 * part, whole), places)


# --------------------------------------------------------------------------- value states


class State(StrEnum):
    """Where a value is in its life."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    AUDITED = "audited"


class Action(StrEnum):
    """What can be done to a value."""

    SUBMIT = "submit"
    RETURN = "return"
    VALIDATE = "validate"
    AUDIT = "audit"


#: action → (the state it starts from, the state it leads to)
TRANSITIONS = {
    Action.SUBMIT: (State.DRAFT, State.SUBMITTED),
    Action.RETURN: (State.SUBMITTED, State.DRAFT),
    Action.VALIDATE: (State.SUBMITTED, State.VALIDATED),
    Action.AUDIT: (State.VALIDATED, State.AUDITED),
}

#: Values the dashboard shows: checked by the committee (and perhaps by the auditor).
SETTLED = frozenset({State.VALIDATED, State.AUDITED})


def next_state(current: State | str, action: Action | str) -> State:
    """The state a value reaches by an action, or a refusal saying why it cannot."""
    start, end = TRANSITIONS[Action(action)]
    if State(current) is not start:
        raise RuleError(_l("This value cannot go there from its current state."))
    return end


def editable(state: State | str) -> bool:
    """Only a draft can be edited; a submitted value waits, a validated one is frozen."""
    return State(state) is State.DRAFT


def correctable(state: State | str) -> bool:
    """A frozen (validated or audited) value is corrected by a new version."""
    return State(state) in SETTLED


@dataclass(frozen=True)
class Version:
    """What the rules need to know of one stored version."""

    as_of: date
    version: int
    state: State | str
    superseded: bool = False


def next_version(versions: Iterable[Version], as_of: date) -> int:
    """The number a new version at this date takes: one more than the highest so far."""
    return 1 + max((v.version for v in versions if v.as_of == as_of), default=0)


def check_correction(versions: Sequence[Version], corrected: Version, reason: str) -> int:
    """Refuse a correction without a reason, of an unfrozen value, or while one is under way;
    return the new version's number."""
    if not reason.strip():
        raise RuleError(_l("Say why the value is corrected."), field="reason")
    if not correctable(corrected.state) or corrected.superseded:
        raise RuleError(_l("Only the validated value in force can be corrected."))
    if any(
        v.as_of == corrected.as_of and State(v.state) in (State.DRAFT, State.SUBMITTED)
        for v in versions
    ):
        raise RuleError(_l("A new version of this value is already being written."))
    return next_version(versions, corrected.as_of)


def in_force(versions: Iterable, as_of: date | None = None):
    """For each date, the settled version shown on the dashboard (the highest not superseded).

    Works on any objects with `as_of`, `version`, `state` and `superseded_at`/`superseded`.
    Returns {date: version object}, or one object (or None) when `as_of` is given.
    """
    chosen: dict = {}
    for version in versions:
        superseded = getattr(version, "superseded", None) or getattr(version, "superseded_at", None)
        if State(version.state) not in SETTLED or superseded:
            continue
        if as_of is not None and version.as_of != as_of:
            continue
        best = chosen.get(version.as_of)
        if best is None or version.version > best.version:
            chosen[version.as_of] = version
    if as_of is not None:
        return chosen.get(as_of)
    return chosen


# --------------------------------------------------------------------------- reading numbers

_SPACES = re.compile(r"[\s\u00a0\u202f]")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")
_SUFFIXES = ("%", "€", "eur", "euros")


def parse_number(text: str) -> tuple[Decimal, str]:
    """Read a figure as people write it: "81,9 %", "88 700 €", "1 252", "47.33".

    Returns (value, unit found: "%", "€" or ""). Raises ValueError when it is not a number.
    """
    cleaned = _SPACES.sub("", str(text or "")).lower()
    unit = ""
    for suffix in _SUFFIXES:
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)]
            unit = "%" if suffix == "%" else "€"
            break
    if not _NUMBER.match(cleaned):
        raise ValueError(text)
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as error:  # pragma: no cover - the pattern already refused it
        raise ValueError(text) from error
    return value, unit


def check_value(kind: Kind | str, value: Decimal | None, text_value: str, parts: list) -> None:
    """Refuse a value that does not fit its indicator's kind."""
    kind = Kind(kind)
    if kind is Kind.QUALITATIVE:
        if not text_value.strip():
            raise RuleError(_l("Describe the state reached."), field="text_value")
        return
    if value is None:
        raise RuleError(_l("Enter a number."), field="value")
    if kind in (Kind.PERCENT,) and not Decimal(0) <= value <= Decimal(100):
        raise RuleError(_l("A percentage lies between 0 and 100."), field="value")
    if kind is Kind.COUNT and (value != value.to_integral_value() or value < 0):
        raise RuleError(_l("A count is a whole number, zero or more."), field="value")
    if kind is Kind.BREAKDOWN and not parts:
        raise RuleError(_l("Give at least one part of the breakdown."), field="parts")


def parse_parts(text: str) -> list[dict]:
    """Read a breakdown written one part a line as "label = figure" ("Offres testées = 100 %")."""
    parts = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, figure = line.rpartition("=")
        if not sep or not label.strip():
            raise RuleError(_l('Line %(n)d: write "label = figure".', n=number), field="parts")
        try:
            value, _unit = parse_number(figure)
        except ValueError:
            raise RuleError(
                _l("Line %(n)d: %(text)s is not a number.", n=number, text=figure.strip()),
                field="parts",
            ) from None
        parts.append({"label": label.strip()[:200], "value": format(value, "f")})
    return parts
