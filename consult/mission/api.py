"""Public JSON of the mission under /api/v1/mission: the dashboard, indicators, proofs, opinions.

Only what the public pages show: settled (validated or audited) values, retained public proofs,
published opinions. Figures are strings holding exact decimals ("81.9").
"""

from __future__ import annotations

from flask import Blueprint, abort

from consult.core import links
from consult.extensions import db
from consult.mission import committee, proofs, rules
from consult.mission import values as mission_values
from consult.mission.models import Indicator

api_bp = Blueprint("mission_api", __name__, url_prefix="/api/v1/mission")


def _decimal(value) -> str | None:
    """An exact decimal as a string (None stays None)."""
    return None if value is None else format(value, "f")


def _value(value) -> dict:
    """A settled value with its provenance."""
    return {
        "as_of": value.as_of.isoformat(),
        "version": value.version,
        "state": value.state,
        "value": _decimal(value.value),
        "text_value": value.text_value,
        "parts": value.parts,
        "provenance": value.provenance,
        "corrects": value.corrects_id,
        "correction_reason": value.correction_reason,
    }


def _indicator(indicator: Indicator, line=None) -> dict:
    """An indicator, its settled values and how the latest stands against the target."""
    settled = sorted(rules.in_force(indicator.values).values(), key=lambda v: v.as_of)
    data = {
        "id": indicator.id,
        "title": indicator.title,
        "kind": indicator.kind,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "baseline": {"value": _decimal(indicator.baseline_value), "year": indicator.baseline_year},
        "target": {"value": _decimal(indicator.target_value), "year": indicator.target_year},
        "method": indicator.method,
        "owner": indicator.owner,
        "source": indicator.source,
        "computed": indicator.computed,
        "values": [_value(v) for v in settled],
        "url": links.external_url("mission.indicator", indicator_id=indicator.id),
    }
    if line is not None:
        data["gap"] = (
            {"difference": _decimal(line.gap.difference), "reached": line.gap.reached}
            if line.gap
            else None
        )
        data["trend"] = str(line.trend) if line.trend else None
    return data


@api_bp.get("")
def dashboard():
    """Objectives → engagements → indicators with their settled values, gap and trend."""
    years, tree = mission_values.dashboard()
    return {
        "years": years,
        "objectives": [
            {
                "id": objective.id,
                "position": objective.position,
                "title": objective.title,
                "statement": objective.statement,
                "statement_sha256": objective.statement_sha256,
                "adopted_on": objective.adopted_on.isoformat() if objective.adopted_on else None,
                "resolution": objective.resolution_id,
                "engagements": [
                    {
                        "id": engagement.id,
                        "title": engagement.title,
                        "indicators": [_indicator(line.indicator, line) for line in lines],
                    }
                    for engagement, lines in engagements
                ],
            }
            for objective, engagements in tree
        ],
    }


@api_bp.get("/indicators/<int:indicator_id>")
def indicator(indicator_id):
    """One indicator with every settled value and its provenance."""
    found = db.session.get(Indicator, indicator_id) or abort(404)
    years = mission_values.dashboard_years()
    return _indicator(found, mission_values.indicator_line(found, years))


@api_bp.get("/proofs")
def proof_list():
    """The retained, public proofs."""
    found, total = proofs.listing(public_only=True, per_page=1000)
    return {
        "total": total,
        "items": [
            {
                "id": p.id,
                "title": p.title,
                "date": p.happened_on.isoformat(),
                "department": p.department,
                "territory": p.territory,
                "description": p.description,
                "figures": p.figures,
                "objectives": sorted({link.objective_id for link in p.links if link.objective_id}),
                "engagements": sorted(
                    {link.engagement_id for link in p.links if link.engagement_id}
                ),
                "indicators": sorted({link.indicator_id for link in p.links if link.indicator_id}),
            }
            for p in found
        ],
    }


@api_bp.get("/opinions")
def opinion_list():
    """The committee's published opinions, with the published text."""
    return {
        "items": [
            {
                "id": o.id,
                "year": o.year,
                "title": o.title,
                "published_at": o.published_at.isoformat(),
                "version": o.published_number,
                "text": committee.published_text(o).body,
            }
            for o in committee.opinions(published_only=True)
        ]
    }
