"""Indicator values: entered by their owner, validated by the committee, audited; corrections
as new versions with a reason. And what the dashboard reads from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role, has_any_role
from consult.extensions import db
from consult.mission import rules
from consult.mission.models import Comment, Engagement, Indicator, IndicatorValue, Objective

#: Who may enter the values of any indicator (the mission officer).
OFFICERS = (Role.ORGANISER,)


def may_enter(actor, indicator: Indicator) -> bool:
    """The indicator's owner, or the mission officer."""
    if has_any_role(actor, OFFICERS):
        return True
    return actor is not None and indicator.owner_user_id == getattr(actor, "id", None)


def _versions(indicator: Indicator) -> list[rules.Version]:
    """The rules' view of an indicator's stored versions."""
    return [
        rules.Version(v.as_of, v.version, v.state, v.superseded_at is not None)
        for v in indicator.values
    ]


def _snapshot(value: IndicatorValue) -> dict:
    """A value as JSON for the audit log."""
    return {
        "as_of": value.as_of.isoformat(),
        "version": value.version,
        "state": value.state,
        "value": None if value.value is None else format(value.value, "f"),
        "text_value": value.text_value,
        "parts": value.parts,
    }


def save_value(
    actor,
    indicator: Indicator,
    value: IndicatorValue | None,
    *,
    now: datetime,
    as_of: date,
    figure: Decimal | None,
    text_value: str = "",
    parts: list | None = None,
    comment: str = "",
    evidence: str = "",
    provenance: dict | None = None,
) -> IndicatorValue:
    """Enter a new draft value, or change a draft; anything past draft is refused."""
    if actor is not None and not may_enter(actor, indicator):
        raise RuleError(_l("Only the indicator's owner or the mission officer enters its values."))
    rules.check_value(indicator.kind, figure, text_value, parts or [])
    if value is None:
        if any(v.as_of == as_of for v in indicator.values):
            raise RuleError(
                _l("A value at this date exists already: open it, or correct it."), field="as_of"
            )
        value = IndicatorValue(
            indicator=indicator,
            as_of=as_of,
            version=1,
            state=rules.State.DRAFT,
            created_at=now,
            created_by_id=getattr(actor, "id", None),
        )
        db.session.add(value)
    elif not rules.editable(value.state):
        raise RuleError(_l("This value is no longer a draft: it cannot be changed."))
    before = _snapshot(value) if value.id else None
    value.value = None if indicator.kind == rules.Kind.QUALITATIVE else figure
    value.text_value = text_value.strip()[:300] or None
    value.parts = parts or None
    value.comment = comment.strip()
    value.evidence = evidence.strip()
    value.provenance = provenance
    _flush_guarded()
    audit.record(actor, "mission.value_save", value, now=now, before=before, after=_snapshot(value))
    return value


def _flush_guarded() -> None:
    """Flush; a concurrent second draft at the same date is a clear refusal, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise RuleError(
            _l("Someone else is already writing a value at this date: reload the page.")
        ) from None


def transition(
    actor, value: IndicatorValue, action: str, *, now: datetime, reason: str = "", reference=""
) -> IndicatorValue:
    """Move a value along draft → submitted → validated → audited (or back to draft)."""
    action = rules.Action(action)
    indicator = value.indicator
    if action is rules.Action.SUBMIT and actor is not None and not may_enter(actor, indicator):
        raise RuleError(_l("Only the indicator's owner or the mission officer submits it."))
    if action in (rules.Action.VALIDATE, rules.Action.RETURN) and not has_any_role(
        actor, (Role.COMMITTEE,)
    ):
        raise RuleError(_l("Only the mission committee validates or returns a value."))
    if action is rules.Action.AUDIT and not has_any_role(actor, OFFICERS):
        raise RuleError(_l("Only the mission officer records the auditor's check."))
    if action is rules.Action.RETURN and not reason.strip():
        raise RuleError(_l("Say why the value is returned."), field="reason")
    if action is rules.Action.AUDIT and not reference.strip():
        raise RuleError(_l("Give the reference of the auditor's report."), field="reference")
    before = _snapshot(value)
    value.state = str(rules.next_state(value.state, action))
    if action is rules.Action.SUBMIT:
        value.submitted_at = now
    elif action is rules.Action.VALIDATE:
        value.validated_at = now
        value.validated_by_id = actor.id
        if value.corrects_id:
            corrected = db.session.get(IndicatorValue, value.corrects_id)
            corrected.superseded_at = now
    elif action is rules.Action.AUDIT:
        value.audited_at = now
        value.audit_reference = reference.strip()[:300]
    db.session.flush()
    audit.record(
        actor,
        f"mission.value_{action.value}",
        value,
        now=now,
        before=before,
        after=_snapshot(value),
        reason=reason.strip() or reference.strip() or None,
    )
    return value


def correct(actor, value: IndicatorValue, *, now: datetime, reason: str) -> IndicatorValue:
    """Start a correction of a frozen value: a new draft version that copies it, with a reason."""
    indicator = value.indicator
    if not may_enter(actor, indicator):
        raise RuleError(_l("Only the indicator's owner or the mission officer corrects a value."))
    number = rules.check_correction(
        _versions(indicator),
        rules.Version(value.as_of, value.version, value.state, value.superseded_at is not None),
        reason,
    )
    correction = IndicatorValue(
        indicator=indicator,
        as_of=value.as_of,
        version=number,
        state=rules.State.DRAFT,
        value=value.value,
        text_value=value.text_value,
        parts=value.parts,
        comment=value.comment,
        evidence=value.evidence,
        provenance=value.provenance,
        corrects_id=value.id,
        correction_reason=reason.strip(),
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(correction)
    _flush_guarded()
    audit.record(
        actor,
        "mission.value_correct",
        correction,
        now=now,
        before=_snapshot(value),
        after=_snapshot(correction),
        reason=reason.strip(),
    )
    return correction


def add_comment(actor, *, now: datetime, body: str, value=None, proof=None) -> Comment:
    """A committee member's remark on a value or a proof."""
    if not has_any_role(actor, (Role.COMMITTEE,)):
        raise RuleError(_l("Only committee members comment here."))
    if not body.strip():
        raise RuleError(_l("Write the comment."), field="body")
    comment = Comment(
        value_id=getattr(value, "id", None),
        proof_id=getattr(proof, "id", None),
        author_id=actor.id,
        body=body.strip()[:5000],
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(actor, "mission.comment", comment, now=now)
    return comment


def comments_on(*, value=None, proof=None) -> list[Comment]:
    """The remarks on a value or a proof, oldest first."""
    where = Comment.value_id == value.id if value is not None else Comment.proof_id == proof.id
    return list(db.session.scalars(select(Comment).where(where).order_by(Comment.id)))


# --------------------------------------------------------------------------- the dashboard


@dataclass
class YearState:
    """An indicator's state at 31 December of one year, as the dashboard shows it."""

    year: int
    value: IndicatorValue | None


@dataclass
class IndicatorLine:
    """One line of the dashboard: the indicator, its yearly states, gap and trend."""

    indicator: Indicator
    years: list[YearState]
    latest: IndicatorValue | None
    gap: rules.Gap | None
    trend: rules.Trend | None
    progress: object


def dashboard_years(lines_or_values=None) -> list[int]:
    """The years that have a settled value at 31 December, oldest first."""
    values = db.session.scalars(
        select(IndicatorValue.as_of).where(IndicatorValue.state.in_(tuple(rules.SETTLED)))
    )
    return sorted({d.year for d in values if (d.month, d.day) == (12, 31)})


def indicator_line(indicator: Indicator, years: list[int]) -> IndicatorLine:
    """The indicator's settled values at each year's end, gap to target and trend."""
    settled = rules.in_force(indicator.values)
    states = [YearState(y, settled.get(rules.year_end(y))) for y in years]
    dated = sorted(settled.values(), key=lambda v: v.as_of)
    latest = dated[-1] if dated else None
    previous = dated[-2] if len(dated) > 1 else None
    gap = trend = progress = None
    numeric = indicator.kind != rules.Kind.QUALITATIVE and indicator.direction
    if latest is not None and numeric and latest.value is not None:
        if indicator.target_value is not None:
            gap = rules.gap_to_target(latest.value, indicator.target_value, indicator.direction)
            progress = rules.progress(
                indicator.baseline_value, latest.value, indicator.target_value
            )
        if previous is not None:
            trend = rules.trend(previous.value, latest.value, indicator.direction)
    return IndicatorLine(indicator, states, latest, gap, trend, progress)


def dashboard() -> tuple[list[int], list[tuple[Objective, list[tuple[Engagement, list]]]]]:
    """Objectives → engagements → indicator lines, with the years to show."""
    years = dashboard_years()
    tree = []
    found = db.session.scalars(
        select(Objective)
        .order_by(Objective.position)
        .options(
            selectinload(Objective.engagements)
            .selectinload(Engagement.indicators)
            .selectinload(Indicator.values)
        )
    )
    for objective in found:
        tree.append(
            (
                objective,
                [
                    (engagement, [indicator_line(i, years) for i in engagement.indicators])
                    for engagement in objective.engagements
                ],
            )
        )
    return years, tree


def values_waiting(state: str) -> list[IndicatorValue]:
    """Values in one state (drafts, or submitted ones awaiting the committee), oldest first."""
    return list(
        db.session.scalars(
            select(IndicatorValue)
            .where(IndicatorValue.state == state)
            .order_by(IndicatorValue.as_of, IndicatorValue.id)
        )
    )
