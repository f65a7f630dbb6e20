"""Building the mission: objectives from adopted resolutions, engagements, indicators.

Services take `actor` and `now`, flush and never commit; refusals are `RuleError`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from consult.assembly.models import Assembly, Resolution
from consult.core import audit, facts
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.extensions import db
from consult.mission.models import Engagement, Indicator, Objective
from consult.mission.rules import Direction, Kind


def objectives() -> list[Objective]:
    """Every objective in dashboard order."""
    return list(db.session.scalars(select(Objective).order_by(Objective.position)))


def adoptable_resolutions() -> list[Resolution]:
    """Adopted motions of closed assemblies that no objective follows yet, latest first."""
    taken = select(Objective.resolution_id).where(Objective.resolution_id.is_not(None))
    return list(
        db.session.scalars(
            select(Resolution)
            .join(Assembly)
            .where(
                Resolution.status == "closed",
                Resolution.outcome == "adopted",
                Resolution.kind == "motion",
                Assembly.closed_at.is_not(None),
                Resolution.id.not_in(taken),
            )
            .order_by(Assembly.held_on.desc(), Resolution.position)
        )
    )


def statement_hash(text: str) -> str:
    """The SHA-256 that proves the statement is the text voted."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _next_position(model, *where) -> int:
    """One after the last position among siblings."""
    return 1 + (db.session.scalar(select(func.max(model.position)).where(*where)) or 0)


def create_objective(actor, resolution_id: int, *, title: str, now: datetime) -> Objective:
    """Follow an adopted resolution as an objective, freezing its text as voted."""
    resolution = db.session.get(Resolution, resolution_id)
    if resolution is None or resolution not in adoptable_resolutions():
        raise RuleError(
            _l("Choose a resolution the assembly adopted and no objective follows yet."),
            field="resolution_id",
        )
    objective = Objective(
        position=_next_position(Objective),
        title=(title.strip() or resolution.title)[:200],
        resolution_id=resolution.id,
        statement=resolution.body,
        statement_sha256=statement_hash(resolution.body),
        adopted_on=resolution.assembly.held_on,
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(objective)
    db.session.flush()
    audit.record(
        actor,
        "mission.objective_create",
        objective,
        now=now,
        after={"resolution": resolution.id, "sha256": objective.statement_sha256},
    )
    return objective


def rename_objective(actor, objective: Objective, *, title: str, now: datetime) -> Objective:
    """Change an objective's short title; its statement stays as voted."""
    before = objective.title
    objective.title = title.strip()[:200] or before
    db.session.flush()
    audit.record(
        actor,
        "mission.objective_rename",
        objective,
        now=now,
        before={"title": before},
        after={"title": objective.title},
    )
    return objective


def save_engagement(
    actor, objective: Objective, engagement: Engagement | None, *, title, description, now
) -> Engagement:
    """Add an engagement under an objective, or edit one."""
    if not title.strip():
        raise RuleError(_l("Give the engagement a title."), field="title")
    if engagement is None:
        engagement = Engagement(
            objective_id=objective.id,
            position=_next_position(Engagement, Engagement.objective_id == objective.id),
        )
        db.session.add(engagement)
    engagement.title = title.strip()[:300]
    engagement.description = description.strip()
    db.session.flush()
    audit.record(actor, "mission.engagement_save", engagement, now=now, after={"title": title})
    return engagement


#: What each computed source needs in its parameters.
COMPUTED_PARAMS = {
    "assembly_attendance": ("assembly_id",),
    "consultation_participation": ("consultation_id",),
    "consultation_contributions": ("consultation_id",),
    "panel_follow_up": ("project_id",),
    "composite": ("components",),
}


def save_indicator(
    actor,
    engagement: Engagement,
    indicator: Indicator | None,
    *,
    now: datetime,
    title: str,
    kind: str,
    unit: str = "",
    direction: str | None = "up",
    baseline_value: Decimal | None = None,
    baseline_year: int | None = None,
    target_value: Decimal | None = None,
    target_year: int | None = None,
    method: str = "",
    owner: str = "",
    source: str = "",
    owner_user_id: int | None = None,
    computed: str | None = None,
    computed_params: dict | None = None,
) -> Indicator:
    """Add an indicator under an engagement, or edit one, with everything it carries."""
    if not title.strip():
        raise RuleError(_l("Give the indicator a title."), field="title")
    kind = Kind(kind)
    if kind is Kind.QUALITATIVE:
        direction = None
        if target_value is not None or baseline_value is not None:
            raise RuleError(
                _l("A qualitative state has no baseline or target figure."), field="target_value"
            )
    elif direction not in (Direction.UP, Direction.DOWN):
        raise RuleError(_l("Say whether higher or lower is better."), field="direction")
    if (target_value is None) != (target_year is None):
        raise RuleError(_l("A target needs both a value and a year."), field="target_year")
    if baseline_value is not None and baseline_year is None:
        raise RuleError(_l("Give the year of the baseline."), field="baseline_year")
    if computed:
        missing = [p for p in COMPUTED_PARAMS[computed] if not (computed_params or {}).get(p)]
        if missing:
            raise RuleError(_l("Say what the indicator is computed from."), field="computed")
        if computed == "composite" and kind is not Kind.COMPOSITE:
            raise RuleError(_l("Only a composite indicator is built from others."), field="kind")
    if indicator is None:
        indicator = Indicator(
            engagement_id=engagement.id,
            position=_next_position(Indicator, Indicator.engagement_id == engagement.id),
        )
        db.session.add(indicator)
    before = _describe(indicator) if indicator.id else None
    indicator.title = title.strip()[:300]
    indicator.kind = str(kind)
    indicator.unit = unit.strip()[:40]
    indicator.direction = str(direction) if direction else None
    indicator.baseline_value = baseline_value
    indicator.baseline_year = baseline_year
    indicator.target_value = target_value
    indicator.target_year = target_year
    indicator.method = method.strip()
    indicator.owner = owner.strip()[:200]
    indicator.source = source.strip()[:300]
    if indicator.owner_user_id != owner_user_id:
        # The owner changed: a page this request renders asks both people's menus again.
        facts.forget(indicator.owner_user_id, owner_user_id)
    indicator.owner_user_id = owner_user_id
    indicator.computed = computed or None
    indicator.computed_params = computed_params if computed else None
    db.session.flush()
    audit.record(
        actor,
        "mission.indicator_save",
        indicator,
        now=now,
        before=before,
        after=_describe(indicator),
    )
    return indicator


def _describe(indicator: Indicator) -> dict:
    """The indicator's settings as JSON for the audit log."""
    return {
        "title": indicator.title,
        "kind": indicator.kind,
        "direction": indicator.direction,
        "baseline": [str(indicator.baseline_value), indicator.baseline_year],
        "target": [str(indicator.target_value), indicator.target_year],
        "owner": indicator.owner,
        "computed": indicator.computed,
    }


def indicators_owned_by(user) -> list[Indicator]:
    """The indicators whose values this person enters."""
    return list(
        db.session.scalars(
            select(Indicator).where(Indicator.owner_user_id == user.id).order_by(Indicator.id)
        )
    )


def all_indicators() -> list[Indicator]:
    """Every indicator, in dashboard order."""
    return list(
        db.session.scalars(
            select(Indicator)
            .join(Engagement)
            .join(Objective)
            .order_by(Objective.position, Engagement.position, Indicator.position)
        )
    )
