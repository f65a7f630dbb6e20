"""Moderation services on a real database: submission, decisions, flags, suspensions, bulk."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.consultations import services as consultations
from consult.consultations.models import Contribution
from consult.core import mail
from consult.core.errors import RuleError
from consult.core.models import AuditEvent
from consult.extensions import db
from consult.moderation import queries, services
from consult.moderation.models import Flag, ModerationDecision, ModerationStatus

from .decisions import current_status, decide
from .samples import NIR_TEXT, PHONE_TEXT

# --- submission ------------------------------------------------------------------------------


def test_post_moderation_publishes_clean_text_at_once(author, post_consultation, write):
    """Post-moderation: a clean text is published, nobody needs to look at it."""
    contribution = write(author, post_consultation)
    assert contribution.state == "published"
    assert contribution.published_at is not None
    status = current_status(contribution)
    assert status.needs_review is False and status.personal_data == []


def test_pre_moderation_holds_everything(author, pre_consultation, write):
    """Pre-moderation: nothing shows before a moderator approves."""
    contribution = write(author, pre_consultation)
    assert contribution.state == "pending"
    assert contribution.published_at is None
    assert current_status(contribution).needs_review is True


@pytest.mark.parametrize(("text", "kinds"), [(NIR_TEXT, ["nir"]), (PHONE_TEXT, ["phone"])])
def test_personal_data_goes_to_the_queue_even_under_post_moderation(
    author, post_consultation, write, text, kinds
):
    """A text with personal data waits for a moderator, whatever the mode."""
    contribution = write(author, post_consultation, text)
    assert contribution.state == "pending"
    status = current_status(contribution)
    assert status.needs_review and status.has_personal_data and status.personal_data == kinds


def test_choice_answers_need_no_moderation(author, consultation_in, now):
    """A choice answer has no text to moderate: it counts at once, even in pre-moderation."""
    consultation = consultation_in("pre", questions=[("single", "Satisfait ?", ["Oui", "Non"])])
    question = consultation.questions[0]
    contribution = consultations.answer(
        author, question, choice_ids=[question.choices[0].id], now=now
    )
    db.session.commit()
    assert contribution.state == "published"


def test_editing_a_published_text_under_pre_moderation_needs_approval_again(
    author, moderator, pre_consultation, write, now
):
    """An approved text that its author changes goes back to the queue."""
    contribution = write(author, pre_consultation)
    decide(moderator, contribution, "approve", now)
    contribution = write(author, pre_consultation, "Un autre avis, plus nuancé.")
    assert contribution.state == "pending" and current_status(contribution).needs_review


def test_a_hidden_text_cannot_be_edited(author, moderator, post_consultation, write, now):
    """Hiding is a moderator's decision; editing cannot undo it."""
    contribution = write(author, post_consultation)
    decide(moderator, contribution, "hide", now, reason_code="off_topic")
    with pytest.raises(RuleError, match="masquée par la modération"):
        write(author, post_consultation, "Je change tout")
    db.session.rollback()
    assert db.session.get(Contribution, contribution.id).body == "<p>La solidarité avant tout.</p>"


def test_rows_created_for_every_contribution(author, post_consultation, make_contribution):
    """Contributions created by any code path get a moderation row."""
    contribution = make_contribution(post_consultation.questions[0], author, state="pending")
    status = current_status(contribution)
    assert status is not None and status.needs_review is True


def test_backfill_creates_missing_rows(author, post_consultation, make_contribution):
    """Bulk-inserted contributions (no ORM event) get their rows from the backfill."""
    contribution = make_contribution(
        post_consultation.questions[0], author, body=PHONE_TEXT, state="pending"
    )
    db.session.execute(ModerationStatus.__table__.delete())
    db.session.commit()
    assert services.backfill_statuses() == 1
    db.session.commit()
    status = current_status(contribution)
    assert status.has_personal_data and status.needs_review
    assert services.backfill_statuses() == 0


# --- decisions -------------------------------------------------------------------------------


def test_approve_publishes_and_logs(author, moderator, pre_consultation, write, now):
    """Approving publishes; the decision and an audit event record who, when, before, after."""
    contribution = write(author, pre_consultation)
    decision = decide(moderator, contribution, "approve", now)
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == "published" and contribution.published_at == now
    assert decision.from_state == "pending" and decision.to_state == "published"
    status = current_status(contribution)
    assert status.needs_review is False and status.last_decision_id == decision.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "moderation.approve"))
    assert event.actor_id == moderator.id and event.subject_id == contribution.id
    assert event.before["state"] == "pending" and event.after["state"] == "published"


def test_reject_needs_a_reason_and_tells_the_author(
    author, moderator, pre_consultation, write, now
):
    """A rejection without reason is refused; with one, the author gets a plain-text e-mail."""
    contribution = write(author, pre_consultation)
    version = current_status(contribution).version
    with pytest.raises(RuleError, match="motif"):
        services.decide(moderator, contribution, "reject", expected_version=version, now=now)
    db.session.rollback()
    with pytest.raises(RuleError, match="Expliquez"):
        services.decide(
            moderator,
            contribution,
            "reject",
            expected_version=version,
            reason_code="other",
            now=now,
        )
    db.session.rollback()
    decide(
        moderator,
        contribution,
        "reject",
        now,
        reason_code="other",
        reason_text="Merci de reformuler sans insulter.",
    )
    assert db.session.get(Contribution, contribution.id).state == "rejected"
    message = mail.outbox[-1]
    assert message["To"] == author.email
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    assert "Merci de reformuler sans insulter." in message.get_content()


def test_personal_data_published_only_masked(author, moderator, post_consultation, write, now):
    """Approving text with personal data needs the mask; the original stays for moderators."""
    contribution = write(author, post_consultation, NIR_TEXT)
    version = current_status(contribution).version
    with pytest.raises(RuleError, match="données personnelles"):
        services.decide(moderator, contribution, "approve", expected_version=version, now=now)
    db.session.rollback()
    decide(moderator, contribution, "approve", now, publish_masked=True)
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == "published"
    assert "1 85 05 78 006 084 91" not in contribution.body
    assert (
        "[numéro de sécurité sociale retiré]" in contribution.body
        or "removed]" in contribution.body
    )
    status = current_status(contribution)
    assert "1 85 05 78 006 084 91" in status.original_body
    assert status.has_personal_data is False and status.personal_data == ["nir"]
    decision = db.session.scalar(select(ModerationDecision))
    assert decision.masked is True


def test_resubmit_after_rejection_goes_back_to_the_queue(
    author, moderator, pre_consultation, write, now
):
    """The author edits a rejected text; it is pending again and nothing is lost."""
    contribution = write(author, pre_consultation)
    decide(moderator, contribution, "reject", now, reason_code="off_topic")
    state = services.resubmit(author, contribution, "Une version plus claire.", now=now)
    db.session.commit()
    assert state == "pending"
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == "pending" and "plus claire" in contribution.body
    assert [r.body for r in contribution.revisions] == ["<p>La solidarité avant tout.</p>"]
    actions = [d.action for d in queries.decisions_of(contribution)]
    assert actions == ["reject", "resubmit"]
    assert current_status(contribution).needs_review


def test_resubmit_refused_for_others_and_for_other_states(
    author, participants, moderator, pre_consultation, write, now
):
    """Only the author, only a rejected text, only while the consultation is open."""
    other = participants(1)[0]
    contribution = write(author, pre_consultation)
    with pytest.raises(RuleError, match="refusée"):
        services.resubmit(author, contribution, "x", now=now)
    decide(moderator, contribution, "reject", now, reason_code="duplicate")
    with pytest.raises(RuleError, match="vos propres"):
        services.resubmit(other, contribution, "x", now=now)
    with pytest.raises(RuleError, match="clôturée"):
        services.resubmit(author, contribution, "x", now=now + timedelta(days=30))


def test_resubmit_through_the_answer_form_too(author, moderator, pre_consultation, write, now):
    """Answering the same question again after a rejection is a resubmission."""
    contribution = write(author, pre_consultation)
    decide(moderator, contribution, "reject", now, reason_code="off_topic")
    contribution = write(author, pre_consultation, "Nouvelle rédaction.")
    assert contribution.state == "pending"
    assert [d.action for d in queries.decisions_of(contribution)] == ["reject", "resubmit"]


def test_stale_decision_is_refused(author, moderator, admin, pre_consultation, write, now):
    """A decision on a version someone else already changed is refused, nothing written."""
    contribution = write(author, pre_consultation)
    seen = current_status(contribution).version
    services.decide(admin, contribution, "approve", expected_version=seen, now=now)
    db.session.commit()
    with pytest.raises(services.StaleDecision):
        services.decide(
            moderator,
            contribution,
            "reject",
            expected_version=seen,
            reason_code="off_topic",
            now=now,
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ModerationDecision)) == 1


def test_unknown_action_is_refused(author, moderator, pre_consultation, write, now):
    """A forged action name gets a clear message."""
    contribution = write(author, pre_consultation)
    with pytest.raises(RuleError, match="décision"):
        services.decide(moderator, contribution, "delete", expected_version=0, now=now)


def test_configurable_reasons(app, author, moderator, pre_consultation, write, now):
    """The reason list comes from the configuration; "other" always remains."""
    app.config["MODERATION_REASONS"] = {"spam": "Spam"}
    try:
        assert list(services.reason_labels()) == ["spam", "other"]
        contribution = write(author, pre_consultation)
        with pytest.raises(RuleError, match="liste"):
            services.decide(
                moderator,
                contribution,
                "reject",
                expected_version=services.status_of(contribution).version,
                reason_code="off_topic",
                now=now,
            )
        db.session.rollback()
        decide(moderator, contribution, "reject", now, reason_code="spam")
    finally:
        app.config["MODERATION_REASONS"] = None


# --- flags -----------------------------------------------------------------------------------


def test_three_flags_hide_a_post_moderated_text(
    author, participants, post_consultation, write, now
):
    """At the threshold the platform hides the text until a moderator decides."""
    contribution = write(author, post_consultation)
    flaggers = participants(3)
    for person in flaggers[:2]:
        services.flag(person, contribution, reason_code="insulting", reason_text="", now=now)
        db.session.commit()
    assert db.session.get(Contribution, contribution.id).state == "published"
    services.flag(flaggers[2], contribution, reason_code="insulting", reason_text="", now=now)
    db.session.commit()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == "hidden"
    status = current_status(contribution)
    assert status.flag_count == 3 and status.needs_review
    assert queries.decisions_of(contribution)[-1].action == "flag_threshold"


def test_flags_under_pre_moderation_only_raise_attention(
    author, moderator, participants, pre_consultation, write, now
):
    """An approved text stays up under pre-moderation; flags put it back in the queue."""
    contribution = write(author, pre_consultation)
    decide(moderator, contribution, "approve", now)
    for person in participants(3):
        services.flag(person, contribution, reason_code="off_topic", reason_text="", now=now)
        db.session.commit()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == "published"
    assert current_status(contribution).needs_review
    decide(moderator, contribution, "approve", now)  # keep it: answers the flags
    status = current_status(contribution)
    assert status.needs_review is False and status.flag_count == 0


def test_flag_once_never_ones_own_only_published(
    author, participants, pre_consultation, post_consultation, write, now
):
    """One flag per person; authors cannot flag themselves; pending texts cannot be flagged."""
    reader = participants(1)[0]
    contribution = write(author, post_consultation)
    services.flag(reader, contribution, reason_code="duplicate", reason_text="", now=now)
    db.session.commit()
    with pytest.raises(RuleError, match="déjà signalé"):
        services.flag(reader, contribution, reason_code="duplicate", reason_text="", now=now)
    with pytest.raises(RuleError, match="votre propre"):
        services.flag(author, contribution, reason_code="duplicate", reason_text="", now=now)
    pending = write(author, pre_consultation)
    with pytest.raises(RuleError, match="publiée"):
        services.flag(reader, pending, reason_code="duplicate", reason_text="", now=now)
    with pytest.raises(RuleError, match="motif"):
        services.flag(participants(1)[0], contribution, reason_code="", reason_text="", now=now)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1


def test_threshold_is_configurable(app, author, participants, post_consultation, write, now):
    """MODERATION_FLAG_THRESHOLD sets how many flags hide a text."""
    app.config["MODERATION_FLAG_THRESHOLD"] = 1
    try:
        contribution = write(author, post_consultation)
        services.flag(
            participants(1)[0], contribution, reason_code="insulting", reason_text="", now=now
        )
        db.session.commit()
        assert db.session.get(Contribution, contribution.id).state == "hidden"
    finally:
        app.config["MODERATION_FLAG_THRESHOLD"] = 3


def test_restore_after_flags_starts_afresh(
    author, moderator, participants, post_consultation, write, now
):
    """A moderator restores a text hidden by flags; its flag count starts again from zero."""
    contribution = write(author, post_consultation)
    for person in participants(3):
        services.flag(person, contribution, reason_code="insulting", reason_text="", now=now)
        db.session.commit()
    decide(moderator, contribution, "restore", now)
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == "published"
    assert current_status(contribution).flag_count == 0


# --- suspensions -----------------------------------------------------------------------------


def test_suspended_participant_cannot_post_or_flag(
    author, moderator, participants, post_consultation, write, now
):
    """A suspension blocks answering and flagging until its end, or until lifted."""
    reader = participants(1)[0]
    published = write(reader, post_consultation)
    suspension = services.suspend(
        moderator,
        author,
        reason_code="insulting",
        reason_text="",
        ends_at=now + timedelta(days=7),
        now=now,
    )
    db.session.commit()
    with pytest.raises(RuleError, match="suspendu"):
        write(author, post_consultation)
    db.session.rollback()
    with pytest.raises(RuleError, match="suspendu"):
        services.flag(author, published, reason_code="insulting", reason_text="", now=now)
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Contribution)
            .where(Contribution.author_id == author.id)
        )
        == 0
    )
    services.lift(moderator, suspension, now=now)
    db.session.commit()
    assert write(author, post_consultation).state == "published"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("moderation.%"))
    ).all()
    assert "moderation.suspend" in actions and "moderation.lift" in actions


def test_the_sign_in_tells_whether_a_suspension_needs_looking_up(
    app, author, moderator, loaded_by_sign_in, statements, now
):
    """Someone never suspended contributes with no look-up of suspensions; once suspended (the
    same request's person included), and after a lift too, the look-up decides."""
    person = loaded_by_sign_in(author)
    with statements() as sent:
        services.check_may_contribute(person, now)
    assert sent == []
    with app.test_request_context():
        suspension = services.suspend(
            moderator,
            person,
            reason_code="insulting",
            reason_text="",
            ends_at=now + timedelta(days=7),
            now=now,
        )
    with pytest.raises(RuleError, match="suspendu"):
        services.check_may_contribute(person, now)
    services.lift(moderator, suspension, now=now)
    db.session.commit()
    person = loaded_by_sign_in(author)
    with statements() as sent:
        services.check_may_contribute(person, now)
    assert [s for s in sent if "moderation_suspension" in s]


def test_suspension_ends_by_itself(author, moderator, post_consultation, write, now):
    """After its end date, the participant contributes again."""
    services.suspend(
        moderator,
        author,
        reason_code="advertising",
        reason_text="",
        ends_at=now + timedelta(days=1),
        now=now,
    )
    db.session.commit()
    contribution = consultations.answer(
        author, post_consultation.questions[0], text="Bonjour", now=now + timedelta(days=1)
    )
    assert contribution.state == "published"


def test_suspension_needs_reason_and_future_end(author, moderator, now):
    """Clear refusals for a missing reason, a past end, or oneself."""
    with pytest.raises(RuleError, match="motif"):
        services.suspend(
            moderator,
            author,
            reason_code="",
            reason_text="",
            ends_at=now + timedelta(days=1),
            now=now,
        )
    with pytest.raises(RuleError, match="futur"):
        services.suspend(
            moderator,
            author,
            reason_code="insulting",
            reason_text="",
            ends_at=now - timedelta(days=1),
            now=now,
        )
    with pytest.raises(RuleError, match="date de fin"):
        services.suspend(
            moderator, author, reason_code="insulting", reason_text="", ends_at=None, now=now
        )
    with pytest.raises(RuleError, match="vous-même"):
        services.suspend(
            moderator,
            moderator,
            reason_code="insulting",
            reason_text="",
            ends_at=now + timedelta(days=1),
            now=now,
        )


# --- bulk and queue --------------------------------------------------------------------------


def test_bulk_approve_applies_where_it_can(
    author, moderator, participants, pre_consultation, write, now
):
    """Bulk: clean pending texts are published; personal data and stale items are skipped."""
    people = participants(4)
    clean = [write(p, pre_consultation) for p in people[:3]]
    with_nir = write(people[3], pre_consultation, NIR_TEXT)
    selection = [(c.id, current_status(c).version) for c in [*clean, with_nir]]
    selection[2] = (selection[2][0], selection[2][1] + 5)  # a stale view of the third
    result = services.decide_bulk(moderator, selection, "approve", now=now)
    db.session.commit()
    assert result.decided == sorted([clean[0].id, clean[1].id])
    assert set(result.skipped) == {clean[2].id, with_nir.id}
    states = dict(db.session.execute(select(Contribution.id, Contribution.state)).all())
    assert states[clean[0].id] == "published" and states[clean[2].id] == "pending"
    assert states[with_nir.id] == "pending"
    assert current_status(clean[0]).last_decision_id is not None
    events = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "moderation.approve")
    )
    assert events == 2


def test_bulk_reject_masks_and_mails(author, moderator, participants, pre_consultation, write, now):
    """Bulk reject needs a reason, notifies each author; bulk masked approval masks each text."""
    people = participants(3)
    items = [write(p, pre_consultation, PHONE_TEXT) for p in people]
    with pytest.raises(RuleError, match="motif"):
        services.decide_bulk(moderator, [(items[0].id, 1)], "reject", now=now)
    selection = [(c.id, current_status(c).version) for c in items]
    result = services.decide_bulk(
        moderator, selection[:1], "reject", reason_code="personal_data", now=now
    )
    db.session.commit()
    assert result.decided == [items[0].id] and len(mail.outbox) == 1
    result = services.decide_bulk(moderator, selection[1:], "approve", publish_masked=True, now=now)
    db.session.commit()
    assert result.decided == sorted(c.id for c in items[1:])
    for item in items[1:]:
        contribution = db.session.get(Contribution, item.id)
        assert contribution.state == "published" and "06 12 34 56 78" not in contribution.body
        assert "06 12 34 56 78" in current_status(item).original_body


def test_queue_filters(
    author, moderator, participants, pre_consultation, consultation_in, write, now
):
    """Filters by consultation, state, flags, personal data and date narrow the queue."""
    other = consultation_in("pre", title="Autre consultation")
    people = participants(3)
    a = write(people[0], pre_consultation)
    b = write(people[1], pre_consultation, PHONE_TEXT)
    c = write(people[2], other)

    def ids(**kw):
        items, total = queries.queue(queries.QueueFilters(**kw))
        assert total == len(items)
        return {s.contribution_id for s in items}

    assert ids() == {a.id, b.id, c.id}
    assert ids(consultation_id=other.id) == {c.id}
    assert ids(question_id=pre_consultation.questions[0].id) == {a.id, b.id}
    assert ids(personal_data=True) == {b.id}
    assert ids(state="published") == set()
    assert ids(submitted_from=now + timedelta(days=1)) == set()
    assert ids(submitted_to=now + timedelta(days=1)) == {a.id, b.id, c.id}
    decide(moderator, a, "approve", now)
    assert ids() == {b.id, c.id}
    assert ids(state="published") == {a.id}
    assert ids(state=None) == {a.id, b.id, c.id}
    assert ids(min_flags=1) == set()
    assert [x for x, _v in queries.queue_selection(queries.QueueFilters())] == sorted([b.id, c.id])


def test_exports_neutralise_formulas(author, moderator, pre_consultation, write, now):
    """CSV cells starting like formulas are prefixed so spreadsheets show them as text."""
    write(author, pre_consultation, '=HYPERLINK("https://evil.example","clic")')
    content = queries.queue_csv(queries.QueueFilters(), show_author=False)
    assert "'=HYPERLINK" in content
    assert author.email not in content
    assert author.email in queries.queue_csv(queries.QueueFilters(), show_author=True)


def test_audit_log_browse_and_export(author, moderator, pre_consultation, write, now):
    """The log lists every moderation action with who, before, after, reason."""
    contribution = write(author, pre_consultation)
    decide(moderator, contribution, "reject", now, reason_code="other", reason_text="=1+1")
    rows, total = queries.audit_log(queries.AuditFilters())
    assert total == 1 and rows[0][1] == moderator.display_name or moderator.email
    assert queries.audit_log(queries.AuditFilters(action="approve"))[1] == 0
    assert queries.audit_log(queries.AuditFilters(actor_id=moderator.id))[1] == 1
    assert queries.audit_log(queries.AuditFilters(contribution_id=contribution.id))[1] == 1
    content = queries.audit_csv(queries.AuditFilters())
    assert "moderation.reject" in content and "other: =1+1" in content


def test_mode_change_is_logged(organiser, post_consultation, now):
    """The organiser's choice is recorded in the log; nonsense is refused."""
    services.set_mode(organiser, post_consultation, "pre", now=now)
    db.session.commit()
    assert post_consultation.moderation_mode == "pre"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "moderation.mode"))
    assert event.before == {"mode": "post"} and event.after == {"mode": "pre"}
    with pytest.raises(RuleError):
        services.set_mode(organiser, post_consultation, "never", now=now)


def test_nothing_written_is_deleted(author, moderator, participants, post_consultation, write, now):
    """Whatever the decisions, the author's words remain in the database."""
    contribution = write(author, post_consultation, PHONE_TEXT)
    decide(moderator, contribution, "approve", now, publish_masked=True)
    decide(moderator, contribution, "hide", now, reason_code="insulting")
    decide(moderator, contribution, "reject", now, reason_code="insulting")
    services.resubmit(author, contribution, "Nouveau texte", now=now)
    db.session.commit()
    contribution = db.session.get(Contribution, contribution.id)
    kept = [r.body for r in contribution.revisions] + [contribution.body]
    assert any("06 12 34 56 78" in body for body in kept)
