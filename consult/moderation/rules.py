"""Pure moderation rules: the state machine, reasons, flags, suspensions and bulk plans.

Plain values in, plain values out: no Flask, no session, no query. Services load the rows, call
these functions, and write what they return. A refusal is a ``ModerationRefused`` carrying a code;
services turn the code into a translated message.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

DEFAULT_FLAG_THRESHOLD = 3
#: Control characters (but tab and line breaks) have no place in a stated reason.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FREE_TEXT_MAX = 500


class State(enum.StrEnum):
    """Where a contribution stands; only ``PUBLISHED`` is visible to other participants."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    HIDDEN = "hidden"


class Action(enum.StrEnum):
    """What can happen to a contribution after it was submitted."""

    APPROVE = "approve"
    REJECT = "reject"
    HIDE = "hide"
    RESTORE = "restore"
    FLAG_THRESHOLD = "flag_threshold"
    RESUBMIT = "resubmit"


class Mode(enum.StrEnum):
    """Pre-moderation holds everything for review; post-moderation publishes at once."""

    PRE = "pre"
    POST = "post"


class Actor(enum.StrEnum):
    """Who may trigger an action: a moderator, the author, or the platform itself."""

    MODERATOR = "moderator"
    AUTHOR = "author"
    SYSTEM = "system"


#: Moderator decisions, in the order the queue offers them.
MODERATOR_ACTIONS = (Action.APPROVE, Action.REJECT, Action.HIDE, Action.RESTORE)

#: Who triggers each action.
ACTION_ACTOR = {
    Action.APPROVE: Actor.MODERATOR,
    Action.REJECT: Actor.MODERATOR,
    Action.HIDE: Actor.MODERATOR,
    Action.RESTORE: Actor.MODERATOR,
    Action.FLAG_THRESHOLD: Actor.SYSTEM,
    Action.RESUBMIT: Actor.AUTHOR,
}

#: The transition table: (state, action) -> new state. Pairs absent from it are refused.
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.PENDING, Action.APPROVE): State.PUBLISHED,
    (State.PENDING, Action.REJECT): State.REJECTED,
    # Approving a published text keeps it up and answers its flags.
    (State.PUBLISHED, Action.APPROVE): State.PUBLISHED,
    (State.PUBLISHED, Action.HIDE): State.HIDDEN,
    (State.PUBLISHED, Action.FLAG_THRESHOLD): State.HIDDEN,
    (State.HIDDEN, Action.HIDE): State.HIDDEN,
    (State.HIDDEN, Action.RESTORE): State.PUBLISHED,
    (State.HIDDEN, Action.REJECT): State.REJECTED,
    (State.REJECTED, Action.RESUBMIT): State.PENDING,
}

#: Actions that need a reason from the list (approve and restore may carry one, optionally).
REASON_REQUIRED = frozenset({Action.REJECT, Action.HIDE})

#: The default reason list; the configuration may replace it, "other" always needs free text.
DEFAULT_REASONS = ("off_topic", "insulting", "personal_data", "advertising", "duplicate", "other")
OTHER_REASON = "other"


class Refusal(enum.StrEnum):
    """Why a rule said no; services map each code to a French message."""

    NOT_ALLOWED = "not_allowed"
    WRONG_ACTOR = "wrong_actor"
    REASON_MISSING = "reason_missing"
    REASON_UNKNOWN = "reason_unknown"
    REASON_TEXT_MISSING = "reason_text_missing"
    REASON_TEXT_TOO_LONG = "reason_text_too_long"
    MODE_FORBIDS = "mode_forbids"
    PERSONAL_DATA = "personal_data"
    FLAG_NOT_PUBLISHED = "flag_not_published"
    FLAG_OWN = "flag_own"
    FLAG_TWICE = "flag_twice"
    SUSPENSION_END_PAST = "suspension_end_past"
    SUSPENDED = "suspended"
    STALE = "stale"
    THRESHOLD_INVALID = "threshold_invalid"


class ModerationRefused(ValueError):
    """A moderation rule refused a request; ``code`` says which rule."""

    def __init__(self, code: Refusal, detail: str = ""):
        super().__init__(f"{code.value}{': ' + detail if detail else ''}")
        self.code = code


@dataclass(frozen=True)
class Outcome:
    """The result of a transition: the new state and whether it awaits a moderator."""

    state: State
    #: True when the contribution sits in the moderators' queue after the transition.
    needs_review: bool


def initial_state(mode: Mode, has_personal_data: bool) -> Outcome:
    """State of a fresh contribution: personal data always goes to the queue, whatever the mode."""
    if mode == Mode.POST and not has_personal_data:
        return Outcome(State.PUBLISHED, needs_review=False)
    return Outcome(State.PENDING, needs_review=True)


def allowed_actions(state: State, mode: Mode, actor: Actor | None = None) -> list[Action]:
    """Actions the given actor (or anyone) may take on a contribution in ``state``."""
    result = []
    for action in Action:
        if actor is not None and ACTION_ACTOR[action] != actor:
            continue
        if (state, action) not in TRANSITIONS:
            continue
        if action == Action.FLAG_THRESHOLD and mode != Mode.POST:
            continue
        result.append(action)
    return result


def transition(
    state: State,
    action: Action,
    *,
    mode: Mode,
    actor: Actor,
    has_personal_data: bool = False,
    publish_masked: bool = False,
) -> Outcome:
    """Apply ``action`` to a contribution in ``state``; refuse what the table does not allow.

    Approving or restoring text that still holds personal data is refused unless the moderator
    publishes the masked version: nothing identifying is published as written.
    """
    if ACTION_ACTOR[action] != actor:
        raise ModerationRefused(Refusal.WRONG_ACTOR, f"{action} by {actor}")
    new_state = TRANSITIONS.get((state, action))
    if new_state is None:
        raise ModerationRefused(Refusal.NOT_ALLOWED, f"{action} from {state}")
    if action == Action.FLAG_THRESHOLD and mode != Mode.POST:
        # Under pre-moderation a moderator already approved the text: flags only raise its
        # priority in the queue, they do not hide it.
        raise ModerationRefused(Refusal.MODE_FORBIDS, f"{action} under {mode}")
    if (
        new_state == State.PUBLISHED
        and has_personal_data
        and not publish_masked
        and action in (Action.APPROVE, Action.RESTORE)
    ):
        raise ModerationRefused(Refusal.PERSONAL_DATA)
    # Hidden by flags waits for a moderator; any moderator decision (including confirming a
    # hidden text with HIDE) settles it.
    needs_review = new_state == State.PENDING or action == Action.FLAG_THRESHOLD
    return Outcome(new_state, needs_review=needs_review)


def validate_reason(
    action: Action,
    code: str | None,
    text: str | None,
    allowed: Sequence[str] = DEFAULT_REASONS,
) -> tuple[str | None, str]:
    """Check a decision's reason; return the (code, free text) to store, text stripped."""
    code = (code or "").strip() or None
    text = _CONTROL.sub("", text or "").strip()
    if code is None:
        if action in REASON_REQUIRED:
            raise ModerationRefused(Refusal.REASON_MISSING)
        if text:
            # Free text without a code is filed under "other" so the log stays filterable.
            code = OTHER_REASON
    if code is not None and code not in allowed and code != OTHER_REASON:
        raise ModerationRefused(Refusal.REASON_UNKNOWN, code)
    if code == OTHER_REASON and not text:
        raise ModerationRefused(Refusal.REASON_TEXT_MISSING)
    if len(text) > FREE_TEXT_MAX:
        raise ModerationRefused(Refusal.REASON_TEXT_TOO_LONG)
    return code, text


def flag_decision(
    state: State,
    mode: Mode,
    *,
    flagger_is_author: bool,
    already_flagged: bool,
    flags_before: int,
    threshold: int = DEFAULT_FLAG_THRESHOLD,
) -> Action | None:
    """Accept one participant's flag; return FLAG_THRESHOLD when this flag should hide the text."""
    if threshold < 1:
        raise ModerationRefused(Refusal.THRESHOLD_INVALID)
    if state != State.PUBLISHED:
        raise ModerationRefused(Refusal.FLAG_NOT_PUBLISHED)
    if flagger_is_author:
        raise ModerationRefused(Refusal.FLAG_OWN)
    if already_flagged:
        raise ModerationRefused(Refusal.FLAG_TWICE)
    if mode == Mode.POST and flags_before + 1 >= threshold:
        return Action.FLAG_THRESHOLD
    return None


@dataclass(frozen=True)
class Period:
    """A suspension window, end exclusive; ``lifted_at`` ends it early."""

    start: datetime
    end: datetime
    lifted_at: datetime | None = None


def validate_suspension(start: datetime, end: datetime) -> None:
    """A suspension must end after it starts."""
    if end <= start:
        raise ModerationRefused(Refusal.SUSPENSION_END_PAST)


def active_suspension(periods: Iterable[Period], now: datetime) -> Period | None:
    """The suspension in force at ``now`` that ends last, or None."""
    active = [
        p for p in periods if p.start <= now < p.end and (p.lifted_at is None or now < p.lifted_at)
    ]
    return max(active, key=lambda p: p.end, default=None)


def check_may_contribute(periods: Iterable[Period], now: datetime) -> None:
    """Refuse posting, editing or flagging while a suspension is in force."""
    if active_suspension(periods, now) is not None:
        raise ModerationRefused(Refusal.SUSPENDED)


def check_version(expected: int, current: int) -> None:
    """Optimistic guard: a decision taken on a stale view of the item is refused."""
    if expected != current:
        raise ModerationRefused(Refusal.STALE, f"expected {expected}, found {current}")


@dataclass(frozen=True)
class BulkPlan:
    """Split of a bulk selection: items the action applies to and items it skips (with why)."""

    apply: dict[int, Outcome]
    skip: dict[int, Refusal]


def plan_bulk(
    items: Iterable[tuple[int, State, bool]],
    action: Action,
    *,
    mode_of: dict[int, Mode] | Mode,
    publish_masked: bool = False,
) -> BulkPlan:
    """Plan a bulk moderator decision over ``(id, state, has_personal_data)`` items."""
    apply: dict[int, Outcome] = {}
    skip: dict[int, Refusal] = {}
    for item_id, state, has_pd in items:
        mode = mode_of if isinstance(mode_of, Mode) else mode_of[item_id]
        try:
            apply[item_id] = transition(
                state,
                action,
                mode=mode,
                actor=Actor.MODERATOR,
                has_personal_data=has_pd,
                publish_masked=publish_masked,
            )
        except ModerationRefused as refused:
            skip[item_id] = refused.code
    return BulkPlan(apply=apply, skip=skip)


def visible_to_public(state: State) -> bool:
    """Only published contributions are shown to other participants, quoted or exported."""
    return state == State.PUBLISHED
