"""Indicators that consult computes from its own data, each value with its provenance.

A computed value records what it was computed from (the assembly and its roll, the consultation
and its head-counts, the panel project and its questionnaire, or the component values), so the
figure can be recomputed at any time and compared with what is stored.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from consult.assembly.models import Assembly
from consult.consultations.models import Consultation
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.extensions import db
from consult.mission import rules, values
from consult.mission.models import Indicator, IndicatorValue
from consult.panels.models import PanelProject


def _assembly_attendance(params: dict) -> tuple[Decimal, dict]:
    """Present (in the room or remote) + represented over delegates in office, at the close."""
    assembly = db.session.get(Assembly, int(params["assembly_id"]))
    if assembly is None or assembly.closed_at is None:
        raise RuleError(_l("The assembly this indicator is computed from is not closed."))
    closed = [r for r in assembly.resolutions if r.result_json]
    if not closed:
        raise RuleError(_l("The assembly has no tallied resolution."))
    roll = json.loads(closed[0].result_json)["attendance"]
    participating = roll["present"] + roll["represented"] + roll["remote"]
    rate = rules.rate_percent(participating, roll["in_office"])
    if rate is None:
        raise RuleError(_l("The assembly's roll is empty."))
    return rate, {
        "source": "assembly_attendance",
        "assembly": {"id": assembly.id, "title": assembly.title, "held_on": str(assembly.held_on)},
        "resolution": closed[0].position,
        "in_office": roll["in_office"],
        "present": roll["present"],
        "remote": roll["remote"],
        "represented": roll["represented"],
        "formula": "(present + remote + represented) / in_office × 100",
    }


def _consultation(params: dict) -> Consultation:
    """The consultation a participation indicator reads."""
    consultation = db.session.get(Consultation, int(params["consultation_id"]))
    if consultation is None or consultation.status == "draft":
        raise RuleError(_l("The consultation this indicator is computed from does not exist."))
    return consultation


def _consultation_participation(params: dict) -> tuple[Decimal, dict]:
    """Contributors over people invited (all populations, or the internal ones)."""
    from consult.analysis.services import participation

    consultation = _consultation(params)
    report = participation(consultation)
    scope = params.get("scope", "all")
    row = report.internal if scope == "internal" else report.total
    if row is None or not row.eligible:
        raise RuleError(_l("The consultation has no head-count of the people invited."))
    return rules.rate_percent(row.contributors, row.eligible), {
        "source": "consultation_participation",
        "consultation": {"id": consultation.id, "title": consultation.title},
        "scope": scope,
        "contributors": row.contributors,
        "eligible": row.eligible,
        "formula": "contributors / people invited × 100",
    }


def _consultation_contributions(params: dict) -> tuple[Decimal, dict]:
    """How many contributions the consultation gathered (published or counted)."""
    from consult.analysis.services import participation

    consultation = _consultation(params)
    report = participation(consultation)
    return Decimal(report.total.contributions), {
        "source": "consultation_contributions",
        "consultation": {"id": consultation.id, "title": consultation.title},
        "contributions": report.total.contributions,
        "contributors": report.total.contributors,
    }


def _panel_follow_up(params: dict) -> tuple[Decimal, dict]:
    """Share of panellists who answered the closing questionnaire wanting to take part next."""
    from consult.panels.services import questionnaire_results

    project = db.session.get(PanelProject, int(params["project_id"]))
    if project is None:
        raise RuleError(_l("The panel project this indicator is computed from does not exist."))
    summary = questionnaire_results(project)
    if not summary.respondents:
        raise RuleError(_l("No panellist has answered the closing questionnaire yet."))
    return rules.rate_percent(summary.follow_up_yes, summary.respondents), {
        "source": "panel_follow_up",
        "project": {"id": project.id, "title": project.title},
        "respondents": summary.respondents,
        "wants_follow_up": summary.follow_up_yes,
        "formula": "yes / respondents × 100",
    }


def _composite(params: dict, as_of: date) -> tuple[Decimal, dict]:
    """The weighted index of the component indicators' settled values at the same date."""
    parts = []
    used = []
    for spec in params["components"]:
        component = db.session.get(Indicator, int(spec["indicator_id"]))
        if component is None:
            raise RuleError(_l("A component of the index no longer exists."))
        settled = rules.in_force(component.values, as_of)
        if settled is None or settled.value is None:
            raise RuleError(
                _l(
                    "« %(title)s » has no validated value at this date.",
                    title=component.title,
                )
            )
        parts.append(
            rules.Component(
                component.title,
                settled.value,
                Decimal(str(spec["reference"])),
                component.direction or "up",
                int(spec.get("weight", 1)),
            )
        )
        used.append(
            {
                "indicator_id": component.id,
                "title": component.title,
                "value_id": settled.id,
                "version": settled.version,
                "value": format(settled.value, "f"),
                "reference": str(spec["reference"]),
                "weight": int(spec.get("weight", 1)),
            }
        )
    return rules.composite_index(parts), {
        "source": "composite",
        "components": used,
        "formula": "Σ weight × min(1, value / reference) / Σ weight × 100",
    }


def compute(indicator: Indicator, as_of: date) -> tuple[Decimal, dict]:
    """The value consult computes now for this indicator and date, with its provenance."""
    if not indicator.computed:
        raise RuleError(_l("This indicator is not computed by consult."))
    params = indicator.computed_params or {}
    if indicator.computed == "composite":
        figure, provenance = _composite(params, as_of)
    else:
        figure, provenance = {
            "assembly_attendance": _assembly_attendance,
            "consultation_participation": _consultation_participation,
            "consultation_contributions": _consultation_contributions,
            "panel_follow_up": _panel_follow_up,
        }[indicator.computed](params)
    return figure, provenance


def recompute(actor, indicator: Indicator, *, as_of: date, now: datetime) -> IndicatorValue:
    """Compute the value again: a new draft, an updated draft, or a correction if it changed."""
    figure, provenance = compute(indicator, as_of)
    provenance = {**provenance, "computed_at": now.isoformat(timespec="seconds")}
    at_date = [v for v in indicator.values if v.as_of == as_of]
    open_one = next((v for v in at_date if v.state == rules.State.DRAFT), None)
    if open_one is None and any(v.state == rules.State.SUBMITTED for v in at_date):
        raise RuleError(_l("A value at this date awaits the committee: let it decide first."))
    if open_one is None:
        settled = rules.in_force(at_date, as_of)
        if settled is not None:
            if settled.value == figure:
                return settled
            open_one = values.correct(
                actor, settled, now=now, reason=str(_l("Recomputed from consult's data."))
            )
    return values.save_value(
        actor,
        indicator,
        open_one,
        now=now,
        as_of=as_of,
        figure=figure,
        comment=open_one.comment if open_one else "",
        provenance=provenance,
    )


def still_matches(value: IndicatorValue) -> bool | None:
    """Whether computing the value again gives the same figure (None if it cannot be computed)."""
    try:
        figure, _provenance = compute(value.indicator, value.as_of)
    except RuleError:
        return None
    return figure == value.value
