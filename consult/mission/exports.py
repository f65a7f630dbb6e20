"""Exports of the mission: the public dashboard and the auditor's sampling file, CSV and XLSX.

Both formats come from the same rows. CSV uses semicolons and a BOM (French spreadsheets);
XLSX is written by XlsxWriter without guessing formulas, links or numbers from text, and every
text cell goes through the analysis area's `safe_cell`, so no cell runs as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.analysis.rules import safe_cell
from consult.core import links, spreadsheet
from consult.core.clock import to_local
from consult.core.i18n import gettext as _
from consult.extensions import db
from consult.mission import labels, rules
from consult.mission import values as mission_values
from consult.mission.models import Engagement, Indicator, IndicatorValue, Objective


def _cell(value):
    """A cell: numbers stay numbers, text is neutralised, None is empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        return value
    return safe_cell(str(value))


def csv_text(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV file with a BOM and semicolons; decimals written with a comma."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = spreadsheet.SafeWriter(buffer)  # the one writer of every export
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [format(c, "f").replace(".", ",") if isinstance(c, Decimal) else _cell(c) for c in row]
        )
    return buffer.getvalue()


def xlsx_bytes(sheet_name: str, columns: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """An XLSX workbook with one sheet, a bold header and frozen first row."""
    return spreadsheet.xlsx_bytes(sheet_name, columns, rows, cell=_cell)


def _figure(value: IndicatorValue | None) -> object:
    """What a value states: its figure, or its qualitative state."""
    if value is None:
        return None
    return value.value if value.value is not None else value.text_value


def dashboard_table() -> tuple[list[str], list[list]]:
    """The public dashboard as a table: one line per indicator, one column per year."""
    years, tree = mission_values.dashboard()
    columns = [
        _("Objective"),
        _("Engagement"),
        _("Indicator"),
        _("Type"),
        _("Unit"),
        _("Direction"),
        _("Baseline"),
        _("Baseline year"),
        _("Target"),
        _("Target year"),
        *[_("State at 31/12/%(year)d", year=year) for year in years],
        _("Gap to target"),
        _("Trend"),
        _("Owner"),
        _("Source"),
    ]
    rows = []
    for objective, engagements in tree:
        for engagement, lines in engagements:
            for line in lines:
                indicator = line.indicator
                rows.append(
                    [
                        objective.title,
                        engagement.title,
                        indicator.title,
                        labels.kind(indicator.kind),
                        labels.unit(indicator),
                        labels.direction(indicator.direction),
                        indicator.baseline_value,
                        indicator.baseline_year,
                        indicator.target_value,
                        indicator.target_year,
                        *[_figure(state.value) for state in line.years],
                        line.gap.difference if line.gap else None,
                        labels.trend(line.trend) if line.trend else None,
                        indicator.owner,
                        indicator.source,
                    ]
                )
    return columns, rows


def sampling_table() -> tuple[list[str], list[list]]:
    """Every value version with its state, dates, people, evidence and files, for the auditor."""
    columns = [
        _("Value id"),
        _("Objective"),
        _("Engagement"),
        _("Indicator"),
        _("As at"),
        _("Version"),
        _("State"),
        _("Value"),
        _("Comment"),
        _("Evidence"),
        _("Attachments (SHA-256)"),
        _("Provenance"),
        _("Correction reason"),
        _("Entered by"),
        _("Entered on"),
        _("Validated by"),
        _("Validated on"),
        _("Audit reference"),
        _("In force"),
    ]
    found = db.session.scalars(
        select(IndicatorValue)
        .join(Indicator)
        .join(Engagement)
        .join(Objective)
        .options(selectinload(IndicatorValue.attachments))
        .order_by(
            Objective.position,
            Engagement.position,
            Indicator.position,
            IndicatorValue.as_of,
            IndicatorValue.version,
        )
    )
    rows = []
    for value in found:
        indicator = value.indicator
        in_force = rules.in_force(indicator.values, value.as_of)
        rows.append(
            [
                value.id,
                indicator.engagement.objective.title,
                indicator.engagement.title,
                indicator.title,
                value.as_of.isoformat(),
                value.version,
                labels.state(value.state),
                _figure(value),
                value.comment,
                value.evidence,
                " | ".join(
                    f"{a.filename} ({a.sha256}) "
                    + links.external_url("mission.attachment", attachment_id=a.id)
                    for a in value.attachments
                ),
                labels.provenance_text(value.provenance),
                value.correction_reason,
                value.created_by.email if value.created_by else "",
                _local(value.created_at),
                value.validated_by.email if value.validated_by else "",
                _local(value.validated_at),
                value.audit_reference,
                _("yes") if in_force is value else _("no"),
            ]
        )
    return columns, rows


def _local(moment) -> str:
    """A stored moment in Paris time, as text."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
