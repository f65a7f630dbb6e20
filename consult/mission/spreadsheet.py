"""Reading the dashboard a mutual keeps in a spreadsheet (pure: bytes in, a plan or errors out).

The import runs in steps that do not touch the database until the last one:
``read_rows`` (the shared reader of ``consult.core.imports``: any CSV dialect or encoding
Excel and LibreOffice write, XLSX, ODS, XLS → numbered rows) → ``read_dashboard`` (rows → a plan of
objectives, engagements, indicators and yearly values, with line-numbered errors) → the
service previews the plan against what exists (``consult.mission.imports``) → and applies it
in one transaction, or not at all.

The layout is the one mission reports publish::

    ENGAGEMENTS | INDICATEURS DE SUIVI DES ENGAGEMENTS | ÉTAT AU 31/12/2022 | ÉTAT AU 31/12/2023
    Objectif 1 — Rendre les soins accessibles à tous                      (a heading line)
    Redistribuer ... | Taux de redistribution | 81,9 % | 82,7 %
                     | Adhérents accompagnés   | 600    | 605          (same engagement)

Optional columns: ``CIBLE`` (target), ``ANNÉE CIBLE``, ``UNITÉ``, ``TYPE`` and ``SENS``
(« hausse » / « baisse »).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.i18n import lazy_ngettext
from consult.mission.rules import Kind, check_value, parse_number

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
KIND_WORDS = {
    "nombre": Kind.NUMBER,
    "pourcentage": Kind.PERCENT,
    "taux": Kind.PERCENT,
    "compte": Kind.COUNT,
    "effectif": Kind.COUNT,
    "montant": Kind.AMOUNT,
    "repartition": Kind.BREAKDOWN,
    "composite": Kind.COMPOSITE,
    "indice": Kind.COMPOSITE,
    "qualitatif": Kind.QUALITATIVE,
    "etat": Kind.QUALITATIVE,
}
DIRECTION_WORDS = {"hausse": "up", "plus": "up", "baisse": "down", "moins": "down"}


@dataclass
class Row:
    """One line of the file: its number as people see it (1 = first line) and its cells."""

    line: int
    cells: list[str]


def read_rows(content: bytes) -> tuple[list[Row], list[tuple[int, object]]]:
    """The file's lines with their numbers, read by the shared reader of consult.core.imports
    (format from the content: CSV in Excel's and LibreOffice's dialects and encodings, XLSX,
    ODS, XLS); raises `RuleError` when the file cannot be read at all.

    Returns the rows (the reader's header line first) and the lines it could not read.
    """
    from consult.core.imports.reading import read_table

    table = read_table(content, max_rows=MAX_ROWS + 20, max_bytes=MAX_BYTES)
    first = table.rows[0][0] if table.rows else 2
    header = Row(max(1, first - 1), list(table.columns))
    return [header] + [Row(line, list(cells)) for line, cells in table.rows], table.problems


# --------------------------------------------------------------------------- the dashboard


def _key(header: str) -> str:
    """A header without accents, case or extra spaces ("État au 31/12/2023" → "ETAT AU ...")."""
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", plain).strip().upper()


_STATE = re.compile(r"^ETAT AU 31/12/(\d{4})$")
KNOWN = {
    "ENGAGEMENTS": "engagement",
    "ENGAGEMENT": "engagement",
    "INDICATEURS DE SUIVI DES ENGAGEMENTS": "indicator",
    "INDICATEUR": "indicator",
    "INDICATEURS": "indicator",
    "CIBLE": "target",
    "ANNEE CIBLE": "target_year",
    "UNITE": "unit",
    "TYPE": "kind",
    "SENS": "direction",
}


@dataclass
class IndicatorPlan:
    """An indicator as the file states it."""

    line: int
    title: str
    kind: str
    unit: str = ""
    direction: str | None = "up"
    target: Decimal | None = None
    target_year: int | None = None
    #: year → Decimal (numbers) or str (qualitative states)
    values: dict[int, Decimal | str] = field(default_factory=dict)


@dataclass
class EngagementPlan:
    """An engagement and its indicators."""

    line: int
    title: str
    indicators: list[IndicatorPlan] = field(default_factory=list)


@dataclass
class ObjectivePlan:
    """An objective heading and what comes under it."""

    line: int
    title: str
    engagements: list[EngagementPlan] = field(default_factory=list)


@dataclass
class Dashboard:
    """What a file holds, or the reasons it cannot be imported (line, message)."""

    years: list[int] = field(default_factory=list)
    objectives: list[ObjectivePlan] = field(default_factory=list)
    errors: list[tuple[int, object]] = field(default_factory=list)

    @property
    def indicator_count(self) -> int:
        """How many indicators the file describes."""
        return sum(len(e.indicators) for o in self.objectives for e in o.engagements)


def _header(rows: list[Row], result: Dashboard) -> tuple[int, dict[int, str]] | None:
    """Find the header line and map each column to what it holds."""
    for index, row in enumerate(rows[:20]):
        keys = [_key(c) for c in row.cells]
        if "ENGAGEMENTS" in keys or "ENGAGEMENT" in keys:
            columns: dict[int, str] = {}
            unknown = []
            for position, key in enumerate(keys):
                if not key:
                    continue
                state = _STATE.match(key)
                if state:
                    columns[position] = f"year:{state.group(1)}"
                elif key in KNOWN:
                    columns[position] = KNOWN[key]
                else:
                    unknown.append(row.cells[position])
            if unknown:
                result.errors.append(
                    (
                        row.line,
                        lazy_ngettext(
                            "Unknown column: %(cols)s.",
                            "Unknown columns: %(cols)s.",
                            len(unknown),
                            cols=", ".join(unknown),
                        ),
                    )
                )
            missing = [
                label
                for label, wanted in (
                    ("ENGAGEMENTS", "engagement"),
                    ("INDICATEURS DE SUIVI DES ENGAGEMENTS", "indicator"),
                )
                if wanted not in columns.values()
            ]
            if missing:
                result.errors.append(
                    (
                        row.line,
                        lazy_ngettext(
                            "Missing column: %(cols)s.",
                            "Missing columns: %(cols)s.",
                            len(missing),
                            cols=", ".join(missing),
                        ),
                    )
                )
            if not any(v.startswith("year:") for v in columns.values()):
                result.errors.append(
                    (row.line, _l("No column « ÉTAT AU 31/12/YYYY »: nothing to import."))
                )
            return index, columns
    result.errors.append(
        (
            1,
            _l("No header line with « ENGAGEMENTS » and « INDICATEURS DE SUIVI DES ENGAGEMENTS »."),
        ),
    )
    return None


def read_dashboard(rows: list[Row]) -> Dashboard:
    """Turn the numbered rows into objectives → engagements → indicators → values per year."""
    result = Dashboard()
    rows = [row for row in rows if any(c for c in row.cells)]
    if not rows:
        result.errors.append((1, _l("The file is empty.")))
        return result
    found = _header(rows, result)
    if found is None or result.errors:
        return result
    start, columns = found
    result.years = sorted(int(v[5:]) for v in columns.values() if v.startswith("year:"))
    if len(rows) - start - 1 > MAX_ROWS:
        result.errors.append((rows[start].line, _l("Too many lines (at most %(n)d).", n=MAX_ROWS)))
        return result
    objective: ObjectivePlan | None = None
    engagement: EngagementPlan | None = None
    for row in rows[start + 1 :]:
        cells = {name: (row.cells[i] if i < len(row.cells) else "") for i, name in columns.items()}
        filled = [c for c in row.cells if c]
        if len(filled) == 1 and row.cells and row.cells[0]:
            objective = ObjectivePlan(row.line, row.cells[0][:200])
            result.objectives.append(objective)
            engagement = None
            continue
        if objective is None:
            result.errors.append((row.line, _l("An objective heading must come first.")))
            continue
        if cells.get("engagement"):
            engagement = EngagementPlan(row.line, cells["engagement"][:300])
            objective.engagements.append(engagement)
        if engagement is None:
            result.errors.append((row.line, _l("This line has no engagement.")))
            continue
        if not cells.get("indicator"):
            if any(v for k, v in cells.items() if k != "engagement"):
                result.errors.append((row.line, _l("This line has no indicator.")))
            continue
        plan = _indicator(row.line, cells, result)
        if plan is not None:
            engagement.indicators.append(plan)
    if not result.errors and not result.indicator_count:
        result.errors.append((rows[start].line, _l("The file holds no indicator.")))
    return result


def _indicator(line: int, cells: dict[str, str], result: Dashboard) -> IndicatorPlan | None:
    """One indicator line: its kind, target and yearly values, checked."""
    errors_before = len(result.errors)
    declared = _key(cells.get("kind", "")).lower()
    kind = KIND_WORDS.get(declared) if declared else None
    if declared and kind is None:
        result.errors.append((line, _l("Unknown type « %(type)s ».", type=cells.get("kind", ""))))
    direction = "up"
    if cells.get("direction"):
        direction = DIRECTION_WORDS.get(_key(cells["direction"]).lower())
        if direction is None:
            result.errors.append(
                (
                    line,
                    _l(
                        "Direction « %(text)s »: write « hausse » or « baisse ».",
                        text=cells["direction"],
                    ),
                )
            )
    target, target_unit = None, ""
    if cells.get("target"):
        try:
            target, target_unit = parse_number(cells["target"])
        except ValueError:
            result.errors.append(
                (line, _l("Target « %(text)s » is not a number.", text=cells["target"]))
            )
    target_year = None
    if cells.get("target_year"):
        text = cells["target_year"]
        if not (text.isdigit() and 2000 <= int(text) <= 2100):
            result.errors.append((line, _l("Target year « %(text)s » is not a year.", text=text)))
        else:
            target_year = int(text)
    yearly = {int(k[5:]): text for k, text in cells.items() if k.startswith("year:") and text}
    parsed = {}
    for year, text in yearly.items():
        try:
            parsed[year] = parse_number(text)
        except ValueError:
            parsed[year] = None
    # A number is due when the type or the target says so, or when another year is a number
    # (a state followed in words is words every year).
    number_due = kind is not Kind.QUALITATIVE and (
        kind is not None or target is not None or any(parsed.values())
    )
    values: dict[int, Decimal | str] = {}
    units = {target_unit} - {""}
    numeric = number_due or not yearly
    for year, text in sorted(yearly.items()):
        if parsed[year] is None or not number_due:
            if number_due:
                result.errors.append(
                    (line, _l("« %(text)s » (%(year)d) is not a number.", text=text, year=year))
                )
                continue
            values[year] = text[:300]
            continue
        value, unit = parsed[year]
        values[year] = value
        if unit:
            units.add(unit)
    if len(result.errors) > errors_before:
        return None
    if kind is None:
        if not numeric:
            kind = Kind.QUALITATIVE
        elif "%" in units:
            kind = Kind.PERCENT
        elif "€" in units:
            kind = Kind.AMOUNT
        else:
            kind = Kind.NUMBER
    for year, figure in sorted(values.items()):
        try:  # the same checks as a value typed in a form (a percentage above 100, ...)
            check_value(
                kind,
                None if isinstance(figure, str) else figure,
                figure if isinstance(figure, str) else "",
                [{"label": "", "value": "0"}],
            )
        except RuleError as error:
            result.errors.append(
                (line, _l("%(year)d: %(reason)s", year=year, reason=error.message))
            )
    if len(result.errors) > errors_before:
        return None
    unit = cells.get("unit", "")[:40]
    return IndicatorPlan(
        line=line,
        title=cells["indicator"][:300],
        kind=str(kind),
        unit=unit,
        direction=None if kind is Kind.QUALITATIVE else direction,
        target=target,
        target_year=target_year,
        values=values,
    )
