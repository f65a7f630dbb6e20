"""Pure moderation rules: every state × every action × every mode, reasons, flags, suspensions."""

from datetime import datetime, timedelta
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.moderation.rules import (
    ACTION_ACTOR,
    DEFAULT_FLAG_THRESHOLD,
    FREE_TEXT_MAX,
    Action,
    Actor,
    Mode,
    ModerationRefused,
    Outcome,
    Period,
    Refusal,
    State,
    active_suspension,
    allowed_actions,
    check_may_contribute,
    check_version,
    flag_decision,
    initial_state,
    plan_bulk,
    transition,
    validate_reason,
    validate_suspension,
    visible_to_public,
)

P, PUB, R, H = State.PENDING, State.PUBLISHED, State.REJECTED, State.HIDDEN
A = Action

# The whole expected table, written out by hand: (state, action, mode) -> new state or refusal.
# Personal data is handled separately below; here the text is clean.
EXPECTED = {}
for mode in Mode:
    EXPECTED.update(
        {
            (P, A.APPROVE, mode): PUB,
            (P, A.REJECT, mode): R,
            (P, A.HIDE, mode): Refusal.NOT_ALLOWED,
            (P, A.RESTORE, mode): Refusal.NOT_ALLOWED,
            (P, A.FLAG_THRESHOLD, mode): Refusal.NOT_ALLOWED,
            (P, A.RESUBMIT, mode): Refusal.NOT_ALLOWED,
            (PUB, A.APPROVE, mode): PUB,
            (PUB, A.REJECT, mode): Refusal.NOT_ALLOWED,
            (PUB, A.HIDE, mode): H,
            (PUB, A.RESTORE, mode): Refusal.NOT_ALLOWED,
            (PUB, A.FLAG_THRESHOLD, mode): H if mode == Mode.POST else Refusal.MODE_FORBIDS,
            (PUB, A.RESUBMIT, mode): Refusal.NOT_ALLOWED,
            (R, A.APPROVE, mode): Refusal.NOT_ALLOWED,
            (R, A.REJECT, mode): Refusal.NOT_ALLOWED,
            (R, A.HIDE, mode): Refusal.NOT_ALLOWED,
            (R, A.RESTORE, mode): Refusal.NOT_ALLOWED,
            (R, A.FLAG_THRESHOLD, mode): Refusal.NOT_ALLOWED,
            (R, A.RESUBMIT, mode): P,
            (H, A.APPROVE, mode): Refusal.NOT_ALLOWED,
            (H, A.REJECT, mode): R,
            (H, A.HIDE, mode): H,
            (H, A.RESTORE, mode): PUB,
            (H, A.FLAG_THRESHOLD, mode): Refusal.NOT_ALLOWED,
            (H, A.RESUBMIT, mode): Refusal.NOT_ALLOWED,
        }
    )


def test_table_covers_every_state_action_mode():
    """The expected table is exhaustive, so the parametrised test below is too."""
    assert set(EXPECTED) == set(product(State, Action, Mode))


@pytest.mark.parametrize(("state", "action", "mode"), sorted(EXPECTED))
def test_every_state_by_every_action(state, action, mode):
    """Each (state, action, mode) gives the written-out state or the written-out refusal."""
    expected = EXPECTED[(state, action, mode)]
    actor = ACTION_ACTOR[action]
    if isinstance(expected, Refusal):
        with pytest.raises(ModerationRefused) as refused:
            transition(state, action, mode=mode, actor=actor)
        assert refused.value.code == expected
        assert action not in allowed_actions(state, mode)
    else:
        outcome = transition(state, action, mode=mode, actor=actor)
        assert outcome.state == expected
        assert action in allowed_actions(state, mode)
        assert action in allowed_actions(state, mode, actor)


@pytest.mark.parametrize(("state", "action", "actor"), list(product(State, Action, Actor)))
def test_only_the_owner_of_an_action_may_take_it(state, action, actor):
    """Authors cannot approve, moderators cannot resubmit, nobody fakes the flag threshold."""
    if ACTION_ACTOR[action] == actor:
        return
    with pytest.raises(ModerationRefused) as refused:
        transition(state, action, mode=Mode.POST, actor=actor)
    assert refused.value.code == Refusal.WRONG_ACTOR
    assert action not in allowed_actions(state, Mode.POST, actor)


def test_actions_by_actor_for_a_published_text():
    """Moderators see only what applies; the author gets nothing on a published text."""
    assert allowed_actions(PUB, Mode.POST, Actor.MODERATOR) == [A.APPROVE, A.HIDE]
    assert allowed_actions(PUB, Mode.POST, Actor.SYSTEM) == [A.FLAG_THRESHOLD]
    assert allowed_actions(PUB, Mode.PRE, Actor.SYSTEM) == []
    assert allowed_actions(PUB, Mode.POST, Actor.AUTHOR) == []
    assert allowed_actions(H, Mode.PRE, Actor.MODERATOR) == [A.REJECT, A.HIDE, A.RESTORE]
    assert allowed_actions(R, Mode.PRE, Actor.AUTHOR) == [A.RESUBMIT]


@pytest.mark.parametrize(
    ("mode", "personal", "expected"),
    [
        (Mode.PRE, False, Outcome(P, True)),
        (Mode.PRE, True, Outcome(P, True)),
        (Mode.POST, False, Outcome(PUB, False)),
        (Mode.POST, True, Outcome(P, True)),
    ],
)
def test_initial_state(mode, personal, expected):
    """Post-moderation publishes at once, except a text with personal data, which waits."""
    assert initial_state(mode, personal) == expected


def test_needs_review_after_each_transition():
    """Pending and hidden-by-flags wait for a moderator; a moderator's decision settles it."""
    kw = {"mode": Mode.POST}
    assert transition(P, A.APPROVE, actor=Actor.MODERATOR, **kw).needs_review is False
    assert transition(P, A.REJECT, actor=Actor.MODERATOR, **kw).needs_review is False
    assert transition(PUB, A.FLAG_THRESHOLD, actor=Actor.SYSTEM, **kw).needs_review is True
    assert transition(PUB, A.HIDE, actor=Actor.MODERATOR, **kw).needs_review is False
    assert transition(H, A.HIDE, actor=Actor.MODERATOR, **kw).needs_review is False
    assert transition(H, A.RESTORE, actor=Actor.MODERATOR, **kw).needs_review is False
    assert transition(R, A.RESUBMIT, actor=Actor.AUTHOR, **kw).needs_review is True


@pytest.mark.parametrize(("state", "action"), [(P, A.APPROVE), (PUB, A.APPROVE), (H, A.RESTORE)])
@pytest.mark.parametrize("mode", list(Mode))
def test_personal_data_is_never_published_as_written(state, action, mode):
    """Approving or restoring text with personal data needs the masked version."""
    with pytest.raises(ModerationRefused) as refused:
        transition(state, action, mode=mode, actor=Actor.MODERATOR, has_personal_data=True)
    assert refused.value.code == Refusal.PERSONAL_DATA
    outcome = transition(
        state, action, mode=mode, actor=Actor.MODERATOR, has_personal_data=True, publish_masked=True
    )
    assert outcome.state == PUB


def test_personal_data_does_not_block_rejecting_or_hiding():
    """Taking a text out of view is always possible."""
    kw = {"mode": Mode.POST, "actor": Actor.MODERATOR, "has_personal_data": True}
    assert transition(P, A.REJECT, **kw).state == R
    assert transition(PUB, A.HIDE, **kw).state == H


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Action)), st.sampled_from(list(Mode))),
        max_size=30,
    )
)
def test_random_walks_stay_in_the_table(steps):
    """Any sequence of accepted actions only visits states reachable through the table."""
    state = P
    for action, mode in steps:
        try:
            outcome = transition(state, action, mode=mode, actor=ACTION_ACTOR[action])
        except ModerationRefused:
            continue
        assert outcome.state in State
        assert (outcome.state == P) == (action == A.RESUBMIT)
        state = outcome.state


def test_every_state_is_reachable_and_left():
    """No dead end: every state has at least one way out for somebody."""
    for state in State:
        assert allowed_actions(state, Mode.POST)


# --- reasons -----------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [A.REJECT, A.HIDE])
def test_reject_and_hide_need_a_reason(action):
    """A refusal without a reason would leave the author in the dark."""
    with pytest.raises(ModerationRefused) as refused:
        validate_reason(action, None, "  ")
    assert refused.value.code == Refusal.REASON_MISSING
    assert validate_reason(action, "off_topic", None) == ("off_topic", "")


@pytest.mark.parametrize("action", [A.APPROVE, A.RESTORE])
def test_approve_and_restore_take_an_optional_reason(action):
    """A publication may go without explanation, or carry one."""
    assert validate_reason(action, None, None) == (None, "")
    assert validate_reason(action, "", "  Vérifié par téléphone ") == (
        "other",
        "Vérifié par téléphone",
    )
    assert validate_reason(action, "duplicate", "") == ("duplicate", "")


def test_unknown_reason_is_refused_and_list_is_configurable():
    """Codes come from the configured list; "other" is always available."""
    with pytest.raises(ModerationRefused) as refused:
        validate_reason(A.REJECT, "spam", "")
    assert refused.value.code == Refusal.REASON_UNKNOWN
    allowed = ("spam", "other")
    assert validate_reason(A.REJECT, "spam", "", allowed) == ("spam", "")
    with pytest.raises(ModerationRefused):
        validate_reason(A.REJECT, "off_topic", "", allowed)
    assert validate_reason(A.REJECT, "other", "Hors charte", ("spam",)) == ("other", "Hors charte")


def test_other_needs_free_text_within_limits():
    """ "Other" must say what; free text has a length limit."""
    with pytest.raises(ModerationRefused) as refused:
        validate_reason(A.HIDE, "other", "   ")
    assert refused.value.code == Refusal.REASON_TEXT_MISSING
    with pytest.raises(ModerationRefused) as refused:
        validate_reason(A.HIDE, "other", "x" * (FREE_TEXT_MAX + 1))
    assert refused.value.code == Refusal.REASON_TEXT_TOO_LONG
    assert validate_reason(A.HIDE, "other", "x" * FREE_TEXT_MAX)[1] == "x" * FREE_TEXT_MAX


# --- flags -------------------------------------------------------------------------------------


def _flag(state=PUB, mode=Mode.POST, **kw):
    args = {"flagger_is_author": False, "already_flagged": False, "flags_before": 0}
    args.update(kw)
    return flag_decision(state, mode, **args)


def test_flags_hide_at_the_threshold_under_post_moderation():
    """The third flag (default) hides a post-moderated text."""
    assert DEFAULT_FLAG_THRESHOLD == 3
    assert _flag(flags_before=0) is None
    assert _flag(flags_before=1) is None
    assert _flag(flags_before=2) == A.FLAG_THRESHOLD
    assert _flag(flags_before=0, threshold=1) == A.FLAG_THRESHOLD
    assert _flag(flags_before=4, threshold=5) == A.FLAG_THRESHOLD


def test_flags_never_hide_under_pre_moderation():
    """A text a moderator approved stays up; flags only bring it back to the queue."""
    assert _flag(mode=Mode.PRE, flags_before=10) is None


@pytest.mark.parametrize("state", [P, R, H])
def test_only_published_texts_can_be_flagged(state):
    """Nobody else sees the other states, so a flag on them is refused."""
    with pytest.raises(ModerationRefused) as refused:
        _flag(state=state)
    assert refused.value.code == Refusal.FLAG_NOT_PUBLISHED


def test_flag_once_and_never_ones_own():
    """One flag per participant; authors do not flag themselves."""
    with pytest.raises(ModerationRefused) as refused:
        _flag(already_flagged=True)
    assert refused.value.code == Refusal.FLAG_TWICE
    with pytest.raises(ModerationRefused) as refused:
        _flag(flagger_is_author=True)
    assert refused.value.code == Refusal.FLAG_OWN
    with pytest.raises(ModerationRefused) as refused:
        _flag(threshold=0)
    assert refused.value.code == Refusal.THRESHOLD_INVALID


@given(st.integers(1, 50), st.integers(0, 60))
def test_threshold_property(threshold, before):
    """The flag that brings the count to the threshold (or beyond) hides the text."""
    hides = _flag(flags_before=before, threshold=threshold) == A.FLAG_THRESHOLD
    assert hides == (before + 1 >= threshold)


# --- suspensions -------------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0)


def test_suspension_window():
    """A suspension applies from its start, up to (not including) its end, unless lifted."""
    period = Period(NOW - timedelta(days=1), NOW + timedelta(days=7))
    assert active_suspension([period], NOW) == period
    assert active_suspension([period], period.start) == period
    assert active_suspension([period], period.end) is None
    assert active_suspension([period], period.start - timedelta(seconds=1)) is None
    lifted = Period(period.start, period.end, lifted_at=NOW)
    assert active_suspension([lifted], NOW) is None
    assert active_suspension([lifted], NOW - timedelta(hours=1)) == lifted


def test_longest_active_suspension_wins():
    """With overlapping suspensions, the one ending last is reported."""
    short = Period(NOW - timedelta(days=1), NOW + timedelta(days=1))
    long = Period(NOW - timedelta(hours=1), NOW + timedelta(days=30))
    assert active_suspension([short, long], NOW) == long
    with pytest.raises(ModerationRefused) as refused:
        check_may_contribute([short, long], NOW)
    assert refused.value.code == Refusal.SUSPENDED
    check_may_contribute([short], NOW + timedelta(days=2))
    check_may_contribute([], NOW)


def test_suspension_must_end_after_it_starts():
    """An end date in the past (or now) is a mistake, refused."""
    with pytest.raises(ModerationRefused) as refused:
        validate_suspension(NOW, NOW)
    assert refused.value.code == Refusal.SUSPENSION_END_PAST
    validate_suspension(NOW, NOW + timedelta(minutes=1))


# --- concurrency guard, bulk -------------------------------------------------------------------


def test_version_guard():
    """A decision made on an outdated page is refused as stale."""
    check_version(3, 3)
    with pytest.raises(ModerationRefused) as refused:
        check_version(3, 4)
    assert refused.value.code == Refusal.STALE


def test_bulk_plan_applies_what_it_can_and_says_why_it_skips():
    """Bulk approve: pending items are published, others skipped with their refusal."""
    items = [(1, P, False), (2, PUB, False), (3, P, True), (4, R, False), (5, P, False)]
    plan = plan_bulk(items, A.APPROVE, mode_of=Mode.PRE)
    assert set(plan.apply) == {1, 2, 5}
    assert plan.skip == {
        3: Refusal.PERSONAL_DATA,
        4: Refusal.NOT_ALLOWED,
    }
    masked = plan_bulk(
        items, A.APPROVE, mode_of={i: Mode.POST for i in range(1, 6)}, publish_masked=True
    )
    assert set(masked.apply) == {1, 2, 3, 5}


@given(st.lists(st.tuples(st.sampled_from(list(State)), st.booleans()), max_size=40))
def test_bulk_plan_partitions_the_selection(rows):
    """Every selected item is either applied or skipped, never both, never lost."""
    items = [(i, state, pd) for i, (state, pd) in enumerate(rows)]
    for action in (A.APPROVE, A.REJECT, A.HIDE, A.RESTORE):
        plan = plan_bulk(items, action, mode_of=Mode.POST)
        assert set(plan.apply) | set(plan.skip) == {i for i, _, _ in items}
        assert not set(plan.apply) & set(plan.skip)


def test_only_published_is_public():
    """Pending, rejected and hidden texts are never shown, quoted or exported."""
    assert [s for s in State if visible_to_public(s)] == [PUB]


def test_reason_text_loses_control_characters():
    """Control characters typed or pasted into a reason are dropped (line breaks kept)."""
    assert validate_reason(A.REJECT, "other", "a\x00b\x07c\nd\te") == ("other", "abc\nd\te")
    with pytest.raises(ModerationRefused):
        validate_reason(A.REJECT, "other", "\x00\x01")
