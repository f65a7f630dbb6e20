"""Moderation services: load, call the pure rules, write; they take ``actor`` and ``now``.

Decisions are guarded: each names the version of the item the moderator saw, and the write is a
conditional UPDATE on that version, so of two simultaneous decisions exactly one lands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import event, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consult.accounts.models import User
from consult.admin import settings
from consult.consultations import rules as consultation_rules
from consult.consultations.models import Consultation, Contribution, ContributionRevision
from consult.core import audit, facts
from consult.core.errors import RuleError
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.mail import send_mail
from consult.core.models import AuditEvent
from consult.core.sanitize import clean_html, plain_text
from consult.extensions import db
from consult.moderation import pii, rules
from consult.moderation.facts import EVER_SUSPENDED
from consult.moderation.models import Flag, ModerationDecision, ModerationStatus, Suspension
from consult.moderation.rules import Action, Actor, Mode, ModerationRefused, Refusal, State

#: The built-in reason list; MODERATION_REASONS in the configuration may replace it.
DEFAULT_REASON_LABELS = {
    "off_topic": _l("Off-topic"),
    "insulting": _l("Insulting or aggressive"),
    "personal_data": _l("Personal data"),
    "advertising": _l("Advertising"),
    "duplicate": _l("Duplicate"),
    "other": _l("Other (explain)"),
}

REFUSAL_MESSAGES = {
    Refusal.NOT_ALLOWED: _l("This decision does not apply to a contribution in this state."),
    Refusal.WRONG_ACTOR: _l("You cannot take this decision."),
    Refusal.REASON_MISSING: _l("Choose a reason."),
    Refusal.REASON_UNKNOWN: _l("Choose a reason from the list."),
    Refusal.REASON_TEXT_MISSING: _l("Explain the reason in a few words."),
    Refusal.REASON_TEXT_TOO_LONG: _l("The explanation is too long (500 characters at most)."),
    Refusal.MODE_FORBIDS: _l("Flags do not hide contributions under pre-moderation."),
    Refusal.PERSONAL_DATA: _l(
        "This text contains personal data: publish the masked version, or reject it."
    ),
    Refusal.FLAG_NOT_PUBLISHED: _l("Only a published contribution can be flagged."),
    Refusal.FLAG_OWN: _l("You cannot flag your own contribution."),
    Refusal.FLAG_TWICE: _l("You have already flagged this contribution."),
    Refusal.SUSPENSION_END_PAST: _l("The end of the suspension must be in the future."),
    Refusal.SUSPENDED: _l("Your account is suspended from contributing."),
    Refusal.STALE: _l(
        "Another moderator decided on this contribution in the meantime: "
        "its current state is shown below."
    ),
    Refusal.THRESHOLD_INVALID: _l("The flag threshold must be at least 1."),
}

STATE_LABELS = {
    State.PENDING: _l("Awaiting moderation"),
    State.PUBLISHED: _l("Published"),
    State.REJECTED: _l("Rejected"),
    State.HIDDEN: _l("Hidden"),
}

ACTION_LABELS = {
    Action.APPROVE: _l("Approve"),
    Action.REJECT: _l("Reject"),
    Action.HIDE: _l("Hide"),
    Action.RESTORE: _l("Restore"),
    Action.FLAG_THRESHOLD: _l("Hidden by flags"),
    Action.RESUBMIT: _l("Resubmitted by the author"),
    "submit": _l("Submitted"),
}

PII_LABELS = {
    pii.Kind.EMAIL: _l("e-mail address"),
    pii.Kind.PHONE: _l("phone number"),
    pii.Kind.NIR: _l("social security number"),
    pii.Kind.ADDRESS: _l("postal address"),
}


def mask_labels() -> dict[pii.Kind, str]:
    """What replaces each kind of personal data in a published text, in the site's language."""
    return {
        pii.Kind.EMAIL: _("[e-mail removed]"),
        pii.Kind.PHONE: _("[phone removed]"),
        pii.Kind.NIR: _("[social security number removed]"),
        pii.Kind.ADDRESS: _("[address removed]"),
    }


class StaleDecision(RuleError):
    """Another moderator decided on the same item first (the view answers 409)."""


def refusal(error: ModerationRefused) -> RuleError:
    """Turn a rule's refusal into the user-facing error the views show."""
    if error.code == Refusal.STALE:
        return StaleDecision(REFUSAL_MESSAGES[error.code])
    return RuleError(REFUSAL_MESSAGES[error.code])


# --- configuration ---------------------------------------------------------------------------


def reason_labels(consultation: Consultation | None = None) -> dict[str, object]:
    """The reasons in force (for a consultation that is over: when it ended), code -> label;
    "other" is always offered, last. Administrators edit them (consult.admin.settings)."""
    configured = settings.for_consultation("moderation.reasons", consultation)
    labels = dict(configured) if configured else dict(DEFAULT_REASON_LABELS)
    labels.pop("other", None)
    labels["other"] = DEFAULT_REASON_LABELS["other"]
    return labels


def reason_label(code: str | None) -> str:
    """The label of a reason code, even one removed from the configuration since."""
    if not code:
        return ""
    label = reason_labels().get(code)
    for _when, saved in reversed(settings.history("moderation.reasons")):
        label = label or (saved or {}).get(code)
    return str(label or DEFAULT_REASON_LABELS.get(code) or code)


def flag_threshold(consultation: Consultation | None = None) -> int:
    """How many flags hide a post-moderated contribution (an administration setting whose first
    value is MODERATION_FLAG_THRESHOLD, default 3)."""
    return int(settings.for_consultation("moderation.flag_threshold", consultation))


def mode_of(consultation: Consultation) -> Mode:
    """The consultation's moderation mode."""
    return Mode(consultation.moderation_mode)


def set_mode(actor: User, consultation: Consultation, mode: str, *, now: datetime) -> None:
    """The organiser chooses pre- or post-moderation; the change is logged."""
    if mode not in {m.value for m in Mode}:
        raise RuleError(_l("Choose pre- or post-moderation."), field="mode")
    before = consultation.moderation_mode
    if before == mode:
        return
    consultation.moderation_mode = mode
    audit.record(
        actor,
        "moderation.mode",
        consultation,
        now=now,
        before={"mode": before},
        after={"mode": mode},
    )


# --- status rows -----------------------------------------------------------------------------


def find_personal_data(body: str) -> list[pii.Span]:
    """Personal-data spans in a stored body (sanitised HTML, or plain words)."""
    return pii.detect_in_markup(body) if "<" in body else pii.detect(body)


def first_status(contribution) -> dict:
    """The moderation row a contribution is written with (its id known; a row with the id,
    body, state and times of one will do)."""
    found = find_personal_data(contribution.body or "")
    return {
        "contribution_id": contribution.id,
        "version": 0,
        "needs_review": contribution.state == State.PENDING,
        "flag_count": 0,
        "personal_data": sorted({span.kind.value for span in found}),
        "has_personal_data": bool(found),
        "submitted_at": contribution.updated_at or contribution.created_at,
    }


@event.listens_for(Contribution, "after_insert")
def _create_status(mapper, connection, contribution):
    """Every contribution the ORM inserts gets its moderation row in the same flush, whoever
    creates it (a first online answer, inserted by a statement of its own, writes it itself)."""
    connection.execute(insert(ModerationStatus).values(first_status(contribution)))


def status_of(contribution: Contribution) -> ModerationStatus:
    """The moderation row of a contribution (created for rows inserted outside the ORM)."""
    status = db.session.get(ModerationStatus, contribution.id)
    if status is None:
        status = ModerationStatus(
            contribution_id=contribution.id,
            version=0,
            needs_review=contribution.state == State.PENDING,
            flag_count=0,
            personal_data=[],
            has_personal_data=False,
            submitted_at=contribution.updated_at or contribution.created_at,
        )
        try:
            with db.session.begin_nested():
                db.session.add(status)
        except IntegrityError:
            status = db.session.get(ModerationStatus, contribution.id, populate_existing=True)
    return status


# --- suspensions -----------------------------------------------------------------------------


def active_suspension(user: User, now: datetime) -> Suspension | None:
    """The suspension in force for this person now, if any (no query when their sign-in found
    they never had one)."""
    if facts.loaded(user, EVER_SUSPENDED) is False:
        return None
    rows = db.session.scalars(
        select(Suspension).where(Suspension.user_id == user.id, Suspension.ends_at > now)
    ).all()
    periods = {rules.Period(s.starts_at, s.ends_at, s.lifted_at): s for s in rows}
    period = rules.active_suspension(periods, now)
    return periods[period] if period else None


def check_may_contribute(user: User, now: datetime) -> None:
    """Refuse posting, editing or flagging from a suspended participant, saying until when."""
    suspension = active_suspension(user, now)
    if suspension is not None:
        from consult.core.i18n import format_moment

        raise RuleError(
            _l(
                "Your account is suspended from contributing until %(end)s (%(reason)s).",
                end=format_moment(suspension.ends_at),
                reason=reason_label(suspension.reason_code),
            )
        )


def suspend(
    actor: User,
    user: User,
    *,
    reason_code: str,
    reason_text: str,
    ends_at: datetime | None,
    now: datetime,
) -> Suspension:
    """Bar a participant from contributing until ``ends_at``, for a stated reason."""
    if ends_at is None:
        raise RuleError(_l("Give the end date of the suspension."), field="ends_at")
    if user.id == actor.id:
        raise RuleError(_l("You cannot suspend yourself."))
    try:
        code, text = rules.validate_reason(
            Action.REJECT, reason_code, reason_text, tuple(reason_labels())
        )
        rules.validate_suspension(now, ends_at)
    except ModerationRefused as error:
        raise refusal(error) from None
    suspension = Suspension(
        user_id=user.id,
        reason_code=code,
        reason_text=text,
        starts_at=now,
        ends_at=ends_at,
        created_by_id=actor.id,
    )
    db.session.add(suspension)
    db.session.flush()
    facts.forget(user)
    audit.record(
        actor,
        "moderation.suspend",
        ("user", user.id),
        now=now,
        after={"suspension": suspension.id, "ends_at": ends_at.isoformat()},
        reason=_reason_for_log(code, text),
    )
    return suspension


def lift(actor: User, suspension: Suspension, *, now: datetime) -> None:
    """End a suspension early."""
    if suspension.lifted_at is not None or suspension.ends_at <= now:
        raise RuleError(_l("This suspension is already over."))
    suspension.lifted_at = now
    suspension.lifted_by_id = actor.id
    audit.record(
        actor,
        "moderation.lift",
        ("user", suspension.user_id),
        now=now,
        before={"suspension": suspension.id, "ends_at": suspension.ends_at.isoformat()},
        after={"lifted_at": now.isoformat()},
    )


def suspensions(*, now: datetime, include_past: bool = False) -> list[Suspension]:
    """Suspensions, current ones first."""
    query = select(Suspension).options(selectinload(Suspension.user))
    if not include_past:
        query = query.where(Suspension.ends_at > now, Suspension.lifted_at.is_(None))
    return list(db.session.scalars(query.order_by(Suspension.ends_at.desc())))


# --- submission (called by consultations.answer) ----------------------------------------------


def on_submit(
    author: User,
    contribution: Contribution,
    *,
    consultation: Consultation,
    previous_state: str | None,
    now: datetime,
    status: ModerationStatus | None = None,
) -> str:
    """Decide the state of a new or edited contribution; return it (before it is flushed: a new
    contribution's moderation row is written with it, an edited one's `status` is updated).

    Personal data sends the text to the queue even under post-moderation; an edited rejected
    text is a resubmission; a hidden text cannot be edited until a moderator restores it.
    """
    check_may_contribute(author, now)
    if not contribution.body:
        # Choice answers carry no text: nothing to moderate.
        return State.PUBLISHED
    if previous_state == State.HIDDEN:
        raise RuleError(_l("This contribution was hidden by the moderators: it cannot be edited."))
    mode = mode_of(consultation)
    found = find_personal_data(contribution.body)
    if previous_state == State.REJECTED:
        outcome = rules.transition(State.REJECTED, Action.RESUBMIT, mode=mode, actor=Actor.AUTHOR)
    else:
        outcome = rules.initial_state(mode, bool(found))
    if contribution.id is None:
        # A new text: its status row is written with it (see _create_status).
        return outcome.state
    status = status if status is not None else status_of(contribution)
    if status.original_body:
        # The unmasked text was only in the moderation row: keep it with the revisions.
        db.session.add(
            ContributionRevision(
                contribution=contribution,
                body=status.original_body,
                replaced_at=now,
                reason="original",
            )
        )
    status.version += 1
    status.needs_review = outcome.needs_review
    status.flag_count = 0
    status.personal_data = sorted({span.kind.value for span in found})
    status.has_personal_data = bool(found)
    status.original_body = None
    status.submitted_at = now
    if previous_state == State.REJECTED:
        decision = _record(
            author, contribution, status, Action.RESUBMIT, State.REJECTED, outcome.state, now=now
        )
        status.last_decision = decision
    return outcome.state


# --- decisions -------------------------------------------------------------------------------


def _reason_for_log(code: str | None, text: str) -> str | None:
    """The reason as one line for the audit log."""
    if not code:
        return text or None
    return f"{code}: {text}" if text else code


def _record(
    actor, contribution, status, action, before, after, *, now, code=None, text="", masked=False
) -> ModerationDecision:
    """Write the decision row and its audit event."""
    decision = ModerationDecision(
        contribution_id=contribution.id,
        actor_id=getattr(actor, "id", None),
        action=str(action),
        from_state=str(before) if before else None,
        to_state=str(after),
        reason_code=code,
        reason_text=text,
        masked=masked,
        decided_at=now,
    )
    db.session.add(decision)
    db.session.flush()
    audit.record(
        actor,
        f"moderation.{action}",
        contribution,
        now=now,
        before={"state": str(before) if before else None, "version": status.version - 1},
        after={"state": str(after), "version": status.version, "masked": masked},
        reason=_reason_for_log(code, text),
    )
    return decision


def _claim(contribution_id: int, expected_version: int) -> bool:
    """Bump the version if it is still the one the moderator saw: the concurrency guard."""
    result = db.session.execute(
        update(ModerationStatus)
        .where(
            ModerationStatus.contribution_id == contribution_id,
            ModerationStatus.version == expected_version,
        )
        .values(version=ModerationStatus.version + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _apply(
    contribution: Contribution,
    status: ModerationStatus,
    outcome: rules.Outcome,
    action: Action,
    *,
    masked: bool,
    now: datetime,
) -> None:
    """Write a transition's effects on the contribution and its status."""
    contribution.state = outcome.state
    status.needs_review = outcome.needs_review
    if outcome.state == State.PUBLISHED:
        if contribution.published_at is None:
            contribution.published_at = now
        # A restored or approved text starts afresh: earlier flags were answered.
        status.flag_count = 0
    if masked and status.has_personal_data:
        spans = find_personal_data(contribution.body)
        if spans:
            status.original_body = status.original_body or contribution.body
            if "<" in contribution.body:
                masked_body = clean_html(pii.mask_markup(contribution.body, spans, mask_labels()))
            else:
                masked_body = pii.mask(contribution.body, spans, mask_labels())
            contribution.body = masked_body
        status.has_personal_data = False


def decide(
    actor: User,
    contribution: Contribution,
    action: str,
    *,
    expected_version: int,
    reason_code: str | None = None,
    reason_text: str | None = None,
    publish_masked: bool = False,
    now: datetime,
) -> ModerationDecision:
    """A moderator's decision on one contribution, refused if someone decided first."""
    try:
        action = Action(action)
    except ValueError:
        raise RuleError(_l("Choose a decision."), field="action") from None
    status = status_of(contribution)
    mode = mode_of(contribution.consultation)
    before = State(contribution.state)
    try:
        rules.check_version(expected_version, status.version)
        code, text = rules.validate_reason(
            action, reason_code, reason_text, tuple(reason_labels(contribution.consultation))
        )
        outcome = rules.transition(
            before,
            action,
            mode=mode,
            actor=Actor.MODERATOR,
            has_personal_data=status.has_personal_data,
            publish_masked=publish_masked,
        )
    except ModerationRefused as error:
        raise refusal(error) from None
    if not _claim(contribution.id, expected_version):
        raise refusal(ModerationRefused(Refusal.STALE))
    db.session.refresh(status)
    masked = publish_masked and status.has_personal_data and outcome.state == State.PUBLISHED
    _apply(contribution, status, outcome, action, masked=masked, now=now)
    decision = _record(
        actor,
        contribution,
        status,
        action,
        before,
        outcome.state,
        now=now,
        code=code,
        text=text,
        masked=masked,
    )
    status.last_decision = decision
    db.session.flush()
    _notify_author(contribution, decision)
    return decision


@dataclass
class BulkResult:
    """What a bulk decision did: ids decided, ids skipped with the reason."""

    decided: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def decide_bulk(
    actor: User,
    selection: Sequence[tuple[int, int]],
    action: str,
    *,
    reason_code: str | None = None,
    reason_text: str | None = None,
    publish_masked: bool = False,
    now: datetime,
    notify=None,
) -> BulkResult:
    """One decision on many ``(contribution id, version seen)`` items, guarded per item.

    Authors of rejected or hidden texts are told by ``notify(ids, action, reason)`` —
    ``notify_authors`` at once by default; the view passes one that sends after the response.

    Set-based: one query loads the selection, one guarded UPDATE per version group claims it,
    one UPDATE per target state writes it, and decisions and audit events are inserted in bulk.
    """
    try:
        action = Action(action)
    except ValueError:
        raise RuleError(_l("Choose a decision."), field="action") from None
    try:
        code, text = rules.validate_reason(action, reason_code, reason_text, tuple(reason_labels()))
    except ModerationRefused as error:
        raise refusal(error) from None
    seen = dict(selection)
    result = BulkResult()
    rows = db.session.execute(
        select(
            Contribution.id,
            Contribution.state,
            Consultation.moderation_mode,
            ModerationStatus.version,
            ModerationStatus.has_personal_data,
        )
        .join(Consultation, Consultation.id == Contribution.consultation_id)
        .outerjoin(ModerationStatus, ModerationStatus.contribution_id == Contribution.id)
        .where(Contribution.id.in_(list(seen)))
    ).all()
    found = {row.id: row for row in rows}
    for missing in set(seen) - set(found):
        result.skipped[missing] = str(_l("This contribution no longer exists."))
    missing_status = [row.id for row in rows if row.version is None]
    if missing_status:
        for contribution in db.session.scalars(
            select(Contribution).where(Contribution.id.in_(missing_status))
        ):
            status_of(contribution)
        db.session.flush()
    plan = rules.plan_bulk(
        ((row.id, State(row.state), bool(row.has_personal_data)) for row in rows),
        action,
        mode_of={row.id: Mode(row.moderation_mode) for row in rows},
        publish_masked=publish_masked,
    )
    for item_id, why in plan.skip.items():
        result.skipped[item_id] = str(REFUSAL_MESSAGES[why])
    by_version: dict[int, list[int]] = defaultdict(list)
    for item_id in plan.apply:
        current = found[item_id].version or 0
        if seen[item_id] != current:
            result.skipped[item_id] = str(REFUSAL_MESSAGES[Refusal.STALE])
        else:
            by_version[current].append(item_id)
    claimed: list[int] = []
    for version, ids in by_version.items():
        for chunk in _chunks(ids, 500):
            claimed.extend(
                db.session.scalars(
                    update(ModerationStatus)
                    .where(
                        ModerationStatus.contribution_id.in_(chunk),
                        ModerationStatus.version == version,
                    )
                    .values(version=version + 1)
                    .returning(ModerationStatus.contribution_id)
                    .execution_options(synchronize_session=False)
                )
            )
    lost = {i for ids in by_version.values() for i in ids} - set(claimed)
    for item_id in lost:
        result.skipped[item_id] = str(REFUSAL_MESSAGES[Refusal.STALE])
    masked_ids = [i for i in claimed if publish_masked and found[i].has_personal_data]
    plain_ids = [i for i in claimed if i not in set(masked_ids)]
    by_outcome: dict[rules.Outcome, list[int]] = defaultdict(list)
    for item_id in plain_ids:
        by_outcome[plan.apply[item_id]].append(item_id)
    for outcome, ids in by_outcome.items():
        for chunk in _chunks(ids, 500):
            values = {"state": str(outcome.state)}
            if outcome.state == State.PUBLISHED:
                db.session.execute(
                    update(Contribution)
                    .where(Contribution.id.in_(chunk), Contribution.published_at.is_(None))
                    .values(published_at=now)
                    .execution_options(synchronize_session=False)
                )
            db.session.execute(
                update(Contribution)
                .where(Contribution.id.in_(chunk))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            status_values = {"needs_review": outcome.needs_review}
            if outcome.state == State.PUBLISHED:
                status_values["flag_count"] = 0
            db.session.execute(
                update(ModerationStatus)
                .where(ModerationStatus.contribution_id.in_(chunk))
                .values(**status_values)
                .execution_options(synchronize_session=False)
            )
    # The few texts with personal data are masked one by one (each needs its own spans).
    for chunk in _chunks(masked_ids, 500):
        fresh = {"populate_existing": True}
        contributions = db.session.scalars(
            select(Contribution).where(Contribution.id.in_(chunk)).execution_options(**fresh)
        ).all()
        statuses = {
            s.contribution_id: s
            for s in db.session.scalars(
                select(ModerationStatus)
                .where(ModerationStatus.contribution_id.in_(chunk))
                .execution_options(**fresh)
            )
        }
        for contribution in contributions:
            status = statuses[contribution.id]
            _apply(contribution, status, plan.apply[contribution.id], action, masked=True, now=now)
    db.session.flush()
    if claimed:
        _record_bulk(actor, claimed, found, plan, action, code, text, masked_ids, now=now)
    result.decided = sorted(claimed)
    # The ORM's copies of these rows are out of date after the set-based updates.
    db.session.expire_all()
    notified = [i for i in result.decided if plan.apply[i].state in (State.REJECTED, State.HIDDEN)]
    if notified:
        reason = reason_label(code) + (f" — {text}" if text else "")
        (notify or notify_authors)(notified, action, reason)
    return result


def notify_authors(contribution_ids: list[int], action: Action, reason: str) -> None:
    """E-mail the authors of these contributions that their text was rejected or hidden."""
    for chunk in _chunks(contribution_ids, 500):
        for contribution in db.session.scalars(
            select(Contribution)
            .where(Contribution.id.in_(chunk))
            .options(selectinload(Contribution.author), selectinload(Contribution.question))
        ):
            _notify_author(contribution, None, action=action, reason=reason)


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    """Slices of a list, to keep IN (...) lists within every database's limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record_bulk(actor, claimed, found, plan, action, code, text, masked_ids, *, now) -> None:
    """Insert the decisions and audit events of a bulk decision in two statements."""
    masked = set(masked_ids)
    actor_id = actor.id  # read once: the actor may be a request-local proxy
    decisions = [
        {
            "contribution_id": item_id,
            "actor_id": actor_id,
            "action": str(action),
            "from_state": found[item_id].state,
            "to_state": str(plan.apply[item_id].state),
            "reason_code": code,
            "reason_text": text,
            "masked": item_id in masked,
            "decided_at": now,
        }
        for item_id in claimed
    ]
    db.session.execute(insert(ModerationDecision), decisions)
    reason = _reason_for_log(code, text)
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "occurred_at": now,
                "actor_id": actor_id,
                "action": f"moderation.{action}",
                "subject_type": "contribution",
                "subject_id": item_id,
                "before": {"state": found[item_id].state, "version": found[item_id].version or 0},
                "after": {
                    "state": str(plan.apply[item_id].state),
                    "version": (found[item_id].version or 0) + 1,
                    "masked": item_id in masked,
                    "bulk": True,
                },
                "reason": reason,
            }
            for item_id in claimed
        ],
    )
    # Point each status at its new decision in one statement.
    latest = (
        select(func.max(ModerationDecision.id))
        .where(ModerationDecision.contribution_id == ModerationStatus.contribution_id)
        .scalar_subquery()
    )
    for chunk in _chunks(claimed, 500):
        db.session.execute(
            update(ModerationStatus)
            .where(ModerationStatus.contribution_id.in_(chunk))
            .values(last_decision_id=latest)
            .execution_options(synchronize_session=False)
        )


def _notify_author(
    contribution: Contribution,
    decision: ModerationDecision | None,
    *,
    action: Action | None = None,
    reason: str | None = None,
) -> None:
    """Tell the author, in a plain-text e-mail, that their text was rejected or hidden, and why."""
    action = Action(decision.action) if decision else action
    if action not in (Action.REJECT, Action.HIDE):
        return
    if decision is not None:
        reason = reason_label(decision.reason_code) + (
            f" — {decision.reason_text}" if decision.reason_text else ""
        )
    author = contribution.author
    if not author or not author.email:
        return
    excerpt = plain_text(contribution.body)
    if len(excerpt) > 300:
        excerpt = excerpt[:300] + "…"
    subject = (
        _("Your contribution was not published")
        if action == Action.REJECT
        else _("Your contribution was hidden")
    )
    body = _(
        "Hello,\n\nYour contribution to the question \u201c%(question)s\u201d was %(what)s by the "
        "moderators.\n\nReason: %(reason)s\n\nYour text:\n%(excerpt)s\n\n"
        "You can see the state of your contributions, and edit a rejected one, on the platform.",
        question=plain_text(contribution.question.prompt),
        what=_("rejected") if action == Action.REJECT else _("hidden"),
        reason=reason,
        excerpt=excerpt,
    )
    send_mail(author.email, subject, body)


# --- flags -----------------------------------------------------------------------------------


def flag(
    user: User, contribution: Contribution, *, reason_code: str, reason_text: str, now: datetime
) -> Flag:
    """A participant flags a published contribution, once; the threshold hides it (post)."""
    check_may_contribute(user, now)
    if contribution.withdrawn_at is not None:
        raise RuleError(REFUSAL_MESSAGES[Refusal.FLAG_NOT_PUBLISHED])
    status = status_of(contribution)
    already = db.session.scalar(
        select(func.count())
        .select_from(Flag)
        .where(Flag.contribution_id == contribution.id, Flag.user_id == user.id)
    )
    try:
        code, text = rules.validate_reason(
            Action.HIDE, reason_code, reason_text, tuple(reason_labels(contribution.consultation))
        )
        rules.flag_decision(
            State(contribution.state),
            mode_of(contribution.consultation),
            flagger_is_author=contribution.author_id == user.id,
            already_flagged=bool(already),
            flags_before=status.flag_count,
            threshold=flag_threshold(contribution.consultation),
        )
    except ModerationRefused as error:
        raise refusal(error) from None
    new_flag = Flag(
        contribution_id=contribution.id,
        user_id=user.id,
        reason_code=code,
        reason_text=text,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(new_flag)
            db.session.flush()
    except IntegrityError:
        # The same person flagged from two windows at once: the unique constraint answers.
        raise refusal(ModerationRefused(Refusal.FLAG_TWICE)) from None
    # Counted in the database so simultaneous flags are all counted.
    db.session.execute(
        update(ModerationStatus)
        .where(ModerationStatus.contribution_id == contribution.id)
        .values(
            flag_count=ModerationStatus.flag_count + 1,
            needs_review=or_(
                ModerationStatus.needs_review,
                ModerationStatus.flag_count + 1 >= flag_threshold(contribution.consultation),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(status)
    db.session.refresh(contribution)
    audit.record(user, "moderation.flag", contribution, now=now, reason=_reason_for_log(code, text))
    # Decided on the counts and state read after our own increment (under its row lock), so
    # simultaneous flags hide the text exactly once.
    if (
        mode_of(contribution.consultation) == Mode.POST
        and status.flag_count >= flag_threshold(contribution.consultation)
        and contribution.state == State.PUBLISHED
    ):
        _hide_by_flags(contribution, status, now=now)
    return new_flag


def _hide_by_flags(contribution: Contribution, status: ModerationStatus, *, now: datetime) -> None:
    """The platform hides a post-moderated text at the threshold, until a moderator decides."""
    if not _claim(contribution.id, status.version):
        return  # a moderator decided at the same instant; their decision stands
    db.session.refresh(status)
    outcome = rules.transition(
        State.PUBLISHED, Action.FLAG_THRESHOLD, mode=Mode.POST, actor=Actor.SYSTEM
    )
    _apply(contribution, status, outcome, Action.FLAG_THRESHOLD, masked=False, now=now)
    decision = _record(
        None,
        contribution,
        status,
        Action.FLAG_THRESHOLD,
        State.PUBLISHED,
        outcome.state,
        now=now,
        code=None,
        text=str(status.flag_count),
    )
    status.last_decision = decision


def resubmit(author: User, contribution: Contribution, text: str, *, now: datetime) -> str:
    """The author edits a rejected text; it goes back to the moderators' queue."""
    if contribution.author_id != author.id:
        raise RuleError(_l("You can only edit your own contributions."))
    if contribution.state != State.REJECTED:
        raise RuleError(_l("Only a rejected contribution can be edited and resubmitted here."))
    consultation = contribution.consultation
    phase = consultation_rules.phase(
        consultation.status, consultation.opens_at, consultation.closes_at, now
    )
    if phase != consultation_rules.OPEN:
        raise RuleError(_l("This consultation is closed: answers can no longer be changed."))
    question = contribution.question
    if question.kind == "words":
        body = consultation_rules.parse_words(text, question.max_words)
    else:
        body = consultation_rules.clean_open_answer(
            text, current_app.config["MAX_CONTRIBUTION_LENGTH"]
        )
    previous = contribution.state
    contribution.revisions.append(
        ContributionRevision(body=contribution.body, replaced_at=now, reason="edit")
    )
    contribution.body = body
    contribution.updated_at = now
    new_state = on_submit(
        author, contribution, consultation=consultation, previous_state=previous, now=now
    )
    contribution.state = new_state
    db.session.flush()
    return new_state


def backfill_statuses(batch: int = 2000) -> int:
    """Create the missing moderation rows of contributions inserted in bulk (imports, demo).

    Bulk inserts skip ORM events, so their rows are written here, personal data included.
    """
    created = 0
    while True:
        rows = db.session.execute(
            select(
                Contribution.id,
                Contribution.body,
                Contribution.state,
                Contribution.updated_at,
                Contribution.created_at,
            )
            .outerjoin(ModerationStatus, ModerationStatus.contribution_id == Contribution.id)
            .where(ModerationStatus.contribution_id.is_(None))
            .order_by(Contribution.id)
            .limit(batch)
        ).all()
        if not rows:
            return created
        values = [first_status(row) for row in rows]
        db.session.execute(insert(ModerationStatus), values)
        created += len(values)
