"""Words and figures of the mission pages in the reader's language (Babel formats numbers)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import format_decimal

from consult.core.i18n import lazy_gettext as _l

KIND_LABELS = {
    "number": _l("Number with a unit"),
    "percent": _l("Percentage"),
    "count": _l("Count"),
    "amount": _l("Amount in euros"),
    "breakdown": _l("Share broken down"),
    "composite": _l("Composite index"),
    "qualitative": _l("Qualitative state"),
}
DIRECTION_LABELS = {"up": _l("Higher is better"), "down": _l("Lower is better")}
STATE_LABELS = {
    "draft": _l("Being entered"),
    "submitted": _l("Awaiting the committee"),
    "validated": _l("Validated by the committee"),
    "audited": _l("Audited by the OTI"),
}
TREND_LABELS = {
    "improving": _l("Improving"),
    "worsening": _l("Worsening"),
    "stable": _l("Stable"),
}
PROOF_STATUS_LABELS = {
    "submitted": _l("Awaiting a decision"),
    "retained": _l("Retained"),
    "rejected": _l("Not retained"),
}
COMPUTED_LABELS = {
    "assembly_attendance": _l("General assembly attendance (from the roll)"),
    "consultation_participation": _l("Participation rate of a consultation"),
    "consultation_contributions": _l("Contributions to a consultation"),
    "panel_follow_up": _l("Panellists who want to take part in what comes next"),
    "composite": _l("Composite index of other indicators"),
}


def kind(code: str) -> str:
    """The kind of an indicator, in words."""
    return str(KIND_LABELS.get(code, code))


def direction(code: str | None) -> str:
    """Which way is better, in words ("" for a qualitative state)."""
    return str(DIRECTION_LABELS.get(code, "")) if code else ""


def state(code: str) -> str:
    """A value's state, in words."""
    return str(STATE_LABELS.get(code, code))


def trend(code) -> str:
    """A trend, in words."""
    return str(TREND_LABELS.get(str(code), "")) if code else ""


def unit(indicator) -> str:
    """The unit written after the figures."""
    if indicator.kind in ("percent", "breakdown"):
        return "%"
    if indicator.kind == "amount":
        return "€"
    if indicator.kind == "composite":
        return indicator.unit or "/100"
    return indicator.unit


def figure(number: Decimal | None, indicator=None, *, signed: bool = False) -> str:
    """A figure the French way with its unit: "81,9 %", "88 700 €", "47,33 kg"."""
    if number is None:
        return "—"
    text = format_decimal(number, format="#,##0.##")
    if signed and number > 0:
        text = "+" + text
    suffix = unit(indicator) if indicator is not None else ""
    if suffix == "/100":
        return f"{text}/100"
    return f"{text}\u00a0{suffix}" if suffix else text


def difference(number: Decimal, indicator, *, signed: bool = False) -> str:
    """A gap: in percentage points for a share ("12 points"), else with the unit."""
    if indicator.kind in ("percent", "breakdown"):
        text = format_decimal(number, format="#,##0.##")
        if signed and number > 0:
            text = "+" + text
        return str(_l("%(n)s points", n=text))
    return figure(number, indicator, signed=signed)


def value_text(value, indicator) -> str:
    """What a stored value states, as text."""
    if value is None:
        return "—"
    if value.value is None:
        return value.text_value or "—"
    return figure(value.value, indicator)


def provenance_text(provenance: dict | None) -> str:
    """A computed value's provenance in one line (exports)."""
    if not provenance:
        return ""
    skip = {"source", "formula", "computed_at"}
    parts = [f"{key}={val}" for key, val in provenance.items() if key not in skip]
    return f"{provenance.get('source')}: " + "; ".join(parts)
