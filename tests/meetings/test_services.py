"""Registering, the waiting list, reminders, attendance, minutes, contributions from a meeting."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.consultations.models import Contribution
from consult.core import mail
from consult.core.errors import RuleError
from consult.extensions import db
from consult.meetings import channel, minutes, registration, services
from consult.meetings.models import Registration


def _statuses(meeting):
    db.session.expire_all()
    return {
        r.user_id: (r.status, r.seat)
        for r in db.session.scalars(
            select(Registration).where(Registration.meeting_id == meeting.id)
        )
    }


def test_seats_then_waiting_list_then_moving_up_with_an_email(app, make_user, make_meeting, now):
    meeting = make_meeting(capacity=2)
    first, second, third, fourth = (make_user() for _ in range(4))
    for person in (first, second, third, fourth):
        registration.register(person, meeting, answers={}, now=now)
        db.session.commit()
    assert _statuses(meeting) == {
        first.id: ("confirmed", 1),
        second.id: ("confirmed", 2),
        third.id: ("waiting", None),
        fourth.id: ("waiting", None),
    }
    mail.outbox.clear()
    registration.unregister(first, meeting, now=now + timedelta(minutes=1))
    assert mail.outbox == []  # queued in the outbox, sent once committed
    assert mail.pending_count() == 1
    db.session.commit()
    mail.deliver()
    assert _statuses(meeting)[third.id] == ("confirmed", 1)
    assert _statuses(meeting)[fourth.id] == ("waiting", None)
    assert [m["To"] for m in mail.outbox] == [third.email]
    assert "Agora de Toulouse" in mail.outbox[0]["Subject"]


def test_a_rolled_back_promotion_sends_no_email(app, make_user, make_meeting, now):
    meeting = make_meeting(capacity=1)
    holder, waiting = make_user(), make_user()
    for person in (holder, waiting):
        registration.register(person, meeting, answers={}, now=now)
        db.session.commit()
    mail.outbox.clear()
    registration.unregister(holder, meeting, now=now)
    db.session.rollback()
    mail.deliver()
    assert mail.outbox == []
    assert _statuses(meeting)[waiting.id] == ("waiting", None)


def _resave(organiser, meeting, now, **changes):
    """Save the meeting's settings again through the service, with `changes`."""
    settings = {
        name: getattr(meeting, name)
        for name in (
            "title",
            "kind",
            "format",
            "agenda",
            "place",
            "region_id",
            "starts_at",
            "ends_at",
            "capacity",
        )
    }
    settings.update(online_url="", registration_opens_at=None, registration_closes_at=None)
    settings["population_ids"] = list(meeting.population_ids)
    return services.save_meeting(organiser, meeting, now=now, **{**settings, **changes})


def test_more_seats_move_the_waiting_list_up(app, make_user, make_meeting, now):
    meeting = make_meeting(capacity=1)
    people = [make_user() for _ in range(3)]
    for person in people:
        registration.register(person, meeting, answers={}, now=now)
        db.session.commit()
    organiser = make_user(roles=("organiser",))
    _resave(organiser, meeting, now, capacity=3)
    db.session.commit()
    assert sorted(s for s, _ in _statuses(meeting).values()) == ["confirmed"] * 3
    with pytest.raises(RuleError, match="ont déjà une place"):
        _resave(organiser, meeting, now, capacity=2)


def test_registration_window_and_population(app, make_user, make_meeting, now):
    member, employee = make_user(), make_user(population="employee")
    later = make_meeting(registration_opens_at=now + timedelta(days=1))
    with pytest.raises(RuleError, match="pas encore ouvertes"):
        registration.register(member, later, answers={}, now=now)
    registration.register(member, later, answers={}, now=now + timedelta(days=1))
    closed = make_meeting(registration_closes_at=now + timedelta(hours=1))
    with pytest.raises(RuleError, match="closes"):
        registration.register(member, closed, answers={}, now=now + timedelta(hours=1))
    with pytest.raises(RuleError, match="population"):
        registration.register(employee, closed, answers={}, now=now)
    draft = make_meeting(status="draft")
    with pytest.raises(RuleError):
        registration.register(member, draft, answers={}, now=now)


def test_registering_twice_is_refused_and_again_after_unregistering(
    app, make_user, make_meeting, now
):
    meeting = make_meeting(capacity=5)
    person = make_user()
    registration.register(person, meeting, answers={}, now=now)
    with pytest.raises(RuleError, match="déjà inscrit"):
        registration.register(person, meeting, answers={}, now=now)
    registration.unregister(person, meeting, now=now)
    again = registration.register(person, meeting, answers={}, now=now)
    assert (again.status, again.seat) == ("confirmed", 1)
    with pytest.raises(RuleError, match="a commencé"):
        registration.unregister(person, meeting, now=meeting.starts_at)


def test_registration_form_is_answered_and_frozen(app, make_user, make_meeting, now):
    meeting = make_meeting()
    organiser = make_user(roles=("organiser",))
    question = services.save_question(
        organiser,
        meeting,
        kind="single",
        prompt="Repas ?",
        max_words=3,
        choices=["Oui", "Non"],
        now=now,
    )
    db.session.commit()
    person = make_user()
    with pytest.raises(RuleError) as refused:
        registration.register(person, meeting, answers={question.id: ""}, now=now)
    assert refused.value.field == f"q{question.id}"
    taken = registration.register(person, meeting, answers={question.id: "1"}, now=now)
    assert taken.answers == {str(question.id): ["Non"]}
    with pytest.raises(RuleError, match="formulaire d’inscription"):
        services.save_question(
            organiser, meeting, kind="open", prompt="?", max_words=3, choices=[], now=now
        )


def test_reminders_go_once_the_day_before(app, make_user, make_meeting, now):
    tomorrow = make_meeting(starts_in=timedelta(hours=20))
    next_week = make_meeting(starts_in=timedelta(days=7))
    holder, waiting = make_user(), make_user()
    for person in (holder,):
        registration.register(person, tomorrow, answers={}, now=now)
        registration.register(person, next_week, answers={}, now=now)
    db.session.commit()
    mail.outbox.clear()
    assert registration.send_reminders(now=now) == 1
    db.session.commit()
    mail.deliver()
    assert [m["To"] for m in mail.outbox] == [holder.email]
    assert registration.send_reminders(now=now + timedelta(hours=1)) == 0
    del waiting


def test_reminder_command(app, runner, make_user, make_meeting, now):
    meeting = make_meeting(starts_in=timedelta(hours=5))
    registration.register(make_user(), meeting, answers={}, now=now)
    db.session.commit()
    result = runner.invoke(args=["meetings", "remind"])
    assert result.exit_code == 0, result.output
    assert "1 reminder sent." in result.output
    assert "/meetings/" in mail.outbox[-1].get_content()
    assert "0 reminders sent." in runner.invoke(args=["meetings", "remind"]).output
    other = make_meeting(starts_in=timedelta(hours=6))
    for person in (make_user(), make_user()):
        registration.register(person, other, answers={}, now=now)
    db.session.commit()
    assert "2 reminders sent." in runner.invoke(args=["meetings", "remind"]).output


def test_attendance_by_list_and_by_code(app, make_user, make_meeting, now):
    meeting = make_meeting(starts_in=timedelta(hours=1), capacity=3)
    organiser = make_user(roles=("organiser",))
    ticked, absent = make_user(), make_user(population="member")
    walk_in = make_user()
    for person in (ticked, absent):
        registration.register(person, meeting, answers={}, now=now)
    db.session.commit()
    with pytest.raises(RuleError, match="une fois la réunion commencée"):
        registration.record_attendance(organiser, meeting, set(), now=now)
    during = meeting.starts_at + timedelta(minutes=10)
    rows = {r.user_id: r.id for r in registration.registrants(meeting)}
    registration.record_attendance(organiser, meeting, {rows[ticked.id]}, now=during)
    code = services.new_attendance_code(organiser, meeting, now=during)
    with pytest.raises(RuleError, match="pas celui"):
        registration.check_in(walk_in, meeting, "ZZZZZZ", now=during)
    registration.check_in(walk_in, meeting, code.lower(), now=during)
    db.session.commit()
    per_population, total = registration.attendance_report(meeting)
    assert (total.registered, total.present, total.walk_ins) == (2, 2, 1)
    assert total.rate == 0.5
    with pytest.raises(RuleError, match="Cochez"):
        registration.record_attendance(organiser, meeting, {99999}, now=during)


def test_minutes_private_and_public(app, make_user, make_meeting, now):
    meeting = make_meeting(starts_in=timedelta(hours=-3))
    organiser, came, stranger = make_user(roles=("organiser",)), make_user(), make_user()
    db.session.add(
        Registration(
            meeting_id=meeting.id,
            user_id=came.id,
            status="walk_in",
            registered_at=now,
            answers={},
            attended_at=now,
            attendance_method="list",
        )
    )
    db.session.commit()
    with pytest.raises(RuleError, match="vide"):
        minutes.save_minutes(organiser, meeting, body="<p> </p>", visibility="private", now=now)
    minutes.save_minutes(
        organiser, meeting, body="<p>Relevé <script>x</script></p>", visibility="private", now=now
    )
    assert "<script>" not in meeting.minutes.body
    with pytest.raises(RuleError, match="approuvé"):
        minutes.move_minutes(organiser, meeting, "publish", now=now)
    minutes.move_minutes(organiser, meeting, "approve", now=now)
    minutes.move_minutes(organiser, meeting, "publish", now=now)
    mine = registration.registration_of(came, meeting)
    assert minutes.may_read_minutes(meeting, came, mine)
    assert not minutes.may_read_minutes(meeting, stranger, None)
    with pytest.raises(RuleError, match="retiré"):
        minutes.save_minutes(organiser, meeting, body="<p>Autre</p>", visibility="public", now=now)


def test_contributions_from_a_meeting_are_their_own_channel(
    app, make_user, make_meeting, make_consultation, now
):
    consultation = make_consultation()
    question = consultation.questions[0]
    meeting = make_meeting(starts_in=timedelta(hours=-2), consultation_id=consultation.id)
    organiser = make_user(roles=("organiser",), population="member")
    speaker = make_user(population="delegate", gender_form="m", age_band="60-80")
    attendee = Registration(
        meeting_id=meeting.id, user_id=speaker.id, status="walk_in", registered_at=now, answers={}
    )
    db.session.add(attendee)
    db.session.commit()
    first = channel.record_contribution(
        organiser,
        meeting,
        question_id=question.id,
        text="Rester proches des adhérents.",
        registration_id=attendee.id,
        population_id=None,
        gender_form="n",
        age_band=None,
        region_id=None,
        now=now,
    )
    second = channel.record_contribution(
        organiser,
        meeting,
        question_id=question.id,
        text="La prévention d’abord.",
        registration_id=None,
        population_id=speaker.population_id,
        gender_form="f",
        age_band="20-30",
        region_id=None,
        now=now,
    )
    db.session.commit()
    assert first.channel == second.channel == "meeting"
    assert first.attribution.startswith("Élu, 60-80 ans")
    assert second.attribution.startswith("Élue, 20-30 ans")
    assert "Agora de Toulouse" in channel.source_label(first)
    # The organiser's own online answer to the same question is still possible.
    from consult.consultations import services as consultations

    online = consultations.answer(organiser, question, text="En ligne.", now=now)
    db.session.commit()
    assert online.channel == "online"
    assert db.session.scalar(select(func.count()).select_from(Contribution)) == 3
    with pytest.raises(RuleError) as refused:
        channel.record_contribution(
            organiser,
            meeting,
            question_id=question.id,
            text="x",
            registration_id=None,
            population_id=None,
            gender_form="n",
            age_band=None,
            region_id=None,
            now=now,
        )
    assert refused.value.field == "population_id"
