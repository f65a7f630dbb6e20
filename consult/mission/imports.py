"""Importing the dashboard spreadsheet: preview against what exists, then apply all or nothing.

Steps: ``spreadsheet.read_rows`` → ``spreadsheet.read_dashboard`` (pure) → ``preview`` (reads
the database, writes nothing) → ``apply`` (one savepoint: any refusal undoes every line).
The uploaded file waits between preview and confirmation in the instance folder under the
SHA-256 of its content, so the confirmation applies exactly the file that was previewed.

The reading is the shared one of ``consult.core.imports``; its column-mapping pages are not used
because a dashboard's columns are not a fixed set of fields (one column per year, objective
headings between the lines), so this area keeps its own preview and confirmation.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.extensions import db
from consult.mission import indicators as building
from consult.mission import rules, spreadsheet, values
from consult.mission.models import Engagement, Indicator, Objective

MAX_BYTES = spreadsheet.MAX_BYTES


@dataclass
class Preview:
    """What applying the file would do, line by line, or why it cannot be applied."""

    token: str = ""
    filename: str = ""
    plan: spreadsheet.Dashboard | None = None
    errors: list[tuple[int, object]] = field(default_factory=list)
    #: (line, what, title, status): status is "new" or "existing"
    lines: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: (line, indicator title, year, figure, status): "new" or "kept" (a value exists)
    new_values: list[tuple[int, str, int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file can be applied."""
        return self.plan is not None and not self.errors


def _pending_dir() -> Path:
    """Where previewed files wait for their confirmation."""
    folder = Path(current_app.instance_path) / "mission-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_for_confirmation(filename: str, content: bytes) -> str:
    """Store the previewed file; its token is the SHA-256 of its content."""
    token = hashlib.sha256(content).hexdigest()
    (_pending_dir() / token).write_bytes(content)
    return token


def pending(token: str) -> tuple[str, bytes]:
    """The file previewed under this token, or a refusal."""
    path = _pending_dir() / (token or "-")
    if not re.fullmatch(r"[0-9a-f]{64}", token or "") or not path.exists():
        raise RuleError(_l("Send the file again: its preview has expired."))
    return "import", path.read_bytes()


def discard(token: str) -> None:
    """Forget a previewed file once applied."""
    if re.fullmatch(r"[0-9a-f]{64}", token or ""):
        (_pending_dir() / token).unlink(missing_ok=True)


def _find(model, title: str, *where):
    """An existing row with this title (compared without case)."""
    return db.session.scalar(
        select(model).where(func.lower(model.title) == title.lower(), *where).limit(1)
    )


def preview(filename: str, content: bytes) -> Preview:
    """Read and check the file, and say what it would create; nothing is written."""
    result = Preview(filename=filename)
    try:
        rows, unreadable = spreadsheet.read_rows(content)
    except RuleError as error:
        result.errors.append((0, error.message))
        return result
    plan = spreadsheet.read_dashboard(rows)
    result.errors = sorted(list(unreadable) + list(plan.errors), key=lambda e: e[0])
    if result.errors:
        return result
    result.plan = plan
    for objective_plan in plan.objectives:
        objective = _find(Objective, objective_plan.title)
        result.lines.append(
            (objective_plan.line, "objective", objective_plan.title, _status(objective))
        )
        for engagement_plan in objective_plan.engagements:
            engagement = objective and _find(
                Engagement, engagement_plan.title, Engagement.objective_id == objective.id
            )
            result.lines.append(
                (engagement_plan.line, "engagement", engagement_plan.title, _status(engagement))
            )
            for plan_line in engagement_plan.indicators:
                indicator = engagement and _find(
                    Indicator, plan_line.title, Indicator.engagement_id == engagement.id
                )
                result.lines.append(
                    (plan_line.line, "indicator", plan_line.title, _status(indicator))
                )
                if indicator and indicator.kind != plan_line.kind:
                    result.errors.append(
                        (
                            plan_line.line,
                            _l(
                                "« %(title)s » exists with another type of indicator.",
                                title=plan_line.title,
                            ),
                        )
                    )
                taken = {v.as_of.year for v in indicator.values} if indicator else set()
                for year, figure in sorted(plan_line.values.items()):
                    result.new_values.append(
                        (
                            plan_line.line,
                            plan_line.title,
                            year,
                            format(figure, "f") if not isinstance(figure, str) else figure,
                            "kept" if year in taken else "new",
                        )
                    )
    return result


def _status(found) -> str:
    """ "existing" when the row is already there, "new" otherwise."""
    return "existing" if found else "new"


def apply(actor, filename: str, content: bytes, *, now: datetime) -> Preview:
    """Apply the file in one go: the values arrive submitted, for the committee to validate."""
    result = preview(filename, content)
    if not result.ok:
        raise RuleError(_l("The file has errors: nothing was imported."))
    with db.session.begin_nested():
        for objective_plan in result.plan.objectives:
            objective = _find(Objective, objective_plan.title) or _new_objective(
                actor, objective_plan.title, now
            )
            for engagement_plan in objective_plan.engagements:
                engagement = _find(
                    Engagement, engagement_plan.title, Engagement.objective_id == objective.id
                ) or building.save_engagement(
                    actor, objective, None, title=engagement_plan.title, description="", now=now
                )
                for plan_line in engagement_plan.indicators:
                    _apply_indicator(actor, engagement, plan_line, now)
    audit.record(
        actor,
        "mission.import",
        ("mission_import", None),
        now=now,
        after={"indicators": result.plan.indicator_count, "values": len(result.new_values)},
    )
    return result


def _new_objective(actor, title: str, now: datetime) -> Objective:
    """An objective that the file names and no resolution is linked to yet."""
    objective = Objective(
        position=1 + (db.session.scalar(select(func.max(Objective.position))) or 0),
        title=title[:200],
        statement=title,
        statement_sha256=building.statement_hash(title),
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(objective)
    db.session.flush()
    return objective


def _apply_indicator(actor, engagement, plan_line, now) -> None:
    """Create the indicator if needed and add the years it has no value for."""
    indicator = _find(Indicator, plan_line.title, Indicator.engagement_id == engagement.id)
    if indicator is None:
        indicator = building.save_indicator(
            actor,
            engagement,
            None,
            now=now,
            title=plan_line.title,
            kind=plan_line.kind,
            unit=plan_line.unit,
            direction=plan_line.direction,
            target_value=plan_line.target if plan_line.target_year else None,
            target_year=plan_line.target_year if plan_line.target is not None else None,
            source=str(_l("Imported dashboard")),
        )
    taken = {v.as_of.year for v in indicator.values}
    for year, figure in sorted(plan_line.values.items()):
        if year in taken:
            continue
        qualitative = isinstance(figure, str)
        value = values.save_value(
            actor,
            indicator,
            None,
            now=now,
            as_of=rules.year_end(year),
            figure=None if qualitative else figure,
            text_value=figure if qualitative else "",
            parts=[{"label": plan_line.title, "value": format(figure, "f")}]
            if indicator.kind == rules.Kind.BREAKDOWN and not qualitative
            else None,
            comment=str(
                _l("Imported from the dashboard spreadsheet (line %(n)d).", n=plan_line.line)
            ),
        )
        values.transition(actor, value, "submit", now=now)
