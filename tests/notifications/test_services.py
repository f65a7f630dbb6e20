"""Each notification, in the app and by e-mail, with its opt-out; sent after the commit only."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.core import mail
from consult.extensions import db
from consult.notifications import services
from consult.notifications.models import Notification, NotificationOptOut


@pytest.fixture
def request_context(app):
    """Services build links with url_for, as inside a request or the cron command."""
    with app.test_request_context(base_url="https://consult.example.org"):
        yield


def send(now):
    """Scan, commit, and empty the outbox (as cron's `notifications send` and `mail deliver`)."""
    told = services.scan(now=now)
    db.session.commit()
    mail.deliver()
    return told


def notifications(kind):
    """Every notification of a kind, by person."""
    return {
        n.user_id: n
        for n in db.session.scalars(select(Notification).where(Notification.kind == kind))
    }


def mails_to(user):
    """The e-mails one person received."""
    return [m for m in mail.outbox if m["To"] == user.email]


def test_a_consultation_that_opens_is_told_once_to_its_population(
    request_context, make_user, make_consultation, now
):
    """Members are told (app and e-mail); employees, deleted and deactivated accounts are not;
    a second scan tells nobody again."""
    consultation = make_consultation(closes_at=now + timedelta(days=20))
    member = make_user()
    employee = make_user(population="employee")
    inactive = make_user(active=False)
    gone = make_user()
    gone.deleted_at = now
    db.session.commit()
    told = send(now)
    assert told["consultation_open"] == 1
    found = notifications("consultation_open")
    assert set(found) == {member.id}
    assert found[member.id].mail_status == "queued"
    (message,) = mails_to(member)
    assert consultation.title in message["Subject"]
    body = message.get_content()
    assert f"http://consult.test/consultations/{consultation.id}" in body
    assert "http://consult.test/notifications/stop/" in body  # SITE_URL, never the host
    assert message["List-Unsubscribe"].startswith("<http://consult.test/notifications/stop/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not mails_to(employee) and not mails_to(inactive) and not mails_to(gone)
    mail.outbox.clear()
    assert send(now)["consultation_open"] == 0
    assert mail.outbox == []


def test_an_opted_out_person_sees_it_in_the_app_but_gets_no_mail(
    request_context, make_user, make_consultation, now
):
    """The opt-out stops e-mails of one kind only."""
    make_consultation()
    person = make_user()
    services.opt_out(person, "consultation_open", now=now)
    db.session.commit()
    send(now)
    assert notifications("consultation_open")[person.id].mail_status == "skipped"
    assert mails_to(person) == []
    items, unread = services.unread(person)
    assert unread == 1 and items[0].kind == "consultation_open"


def test_closing_reminder_three_days_before_for_those_who_have_not_finished(
    request_context, make_user, make_consultation, make_contribution, now
):
    """Four days before: nothing; within three days: those who answered all questions are spared."""
    consultation = make_consultation(
        closes_at=now + timedelta(days=2),
        questions=[("open", "Pourquoi ?"), ("words", "En trois mots ?")],
    )
    finished, halfway, silent = make_user(), make_user(), make_user()
    for question in consultation.questions:
        make_contribution(question, finished)
    make_contribution(consultation.questions[0], halfway)
    assert services.scan(now=now - timedelta(days=2))["closing_soon"] == 0
    send(now)
    assert set(notifications("closing_soon")) == {halfway.id, silent.id}
    assert "closes" in mails_to(silent)[-1]["Subject"] or "3" in mails_to(silent)[-1]["Subject"]


def test_results_published_tells_the_invited_and_those_who_took_part(
    request_context, make_user, make_consultation, make_contribution, now
):
    """An employee who answered (population changed since) is told, as every invited member."""
    from consult.analysis import services as analysis
    from consult.results import services as results

    consultation = make_consultation(
        opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1)
    )
    member = make_user()
    moved = make_user()
    make_contribution(consultation.questions[0], moved)
    moved.population_id = make_user(population="employee").population_id
    analyst = make_user(roles=("analyst",), population=None)
    analysis.save_finding(
        analyst, consultation, None, title="Solidarité", text="", topic_ids=[], now=now
    )
    db.session.commit()
    results.publish(analyst, consultation, now=now)
    db.session.commit()
    mail.deliver()
    assert set(notifications("results_published")) == {member.id, moved.id}
    assert f"/results/{consultation.id}" in mails_to(moved)[0].get_content()


def test_a_panel_meeting_reminds_the_panellists_who_accepted(request_context, panel_meeting, now):
    """Tomorrow's session: the two who accepted; next week's: not yet."""
    session, (first, second, declined) = panel_meeting()
    later, _people = panel_meeting(starts_in=timedelta(days=7))
    send(now)
    found = notifications("panel_session")
    assert set(found) == {first.id, second.id}
    assert found[first.id].subject_id == session.id
    assert "Nantes, salle 2" in mails_to(first)[0].get_content()
    assert not mails_to(declined)


def test_a_vote_that_opens_is_told_to_the_delegates(request_context, open_vote, now):
    """Every delegate on the roll; a draft resolution tells nobody."""
    resolution, delegates = open_vote()
    open_vote(status="draft")
    send(now)
    found = notifications("vote_open")
    assert set(found) == {d.id for d in delegates}
    assert {n.subject_id for n in found.values()} == {resolution.id}
    assert "AG 2027" in mails_to(delegates[0])[0].get_content()


def test_mails_wait_in_the_outbox_and_vanish_with_a_rollback(
    request_context, make_user, make_consultation, now
):
    """Before the commit the e-mail is only an outbox row, with its opt-out headers; a rollback
    removes notification and e-mail alike."""
    from consult.core.models import OutgoingMail

    make_consultation()
    make_user()
    services.scan(now=now)
    (row,) = db.session.scalars(select(OutgoingMail)).all()
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.outbox == []
    db.session.rollback()
    mail.deliver()
    assert mail.outbox == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


def test_email_choices_replace_the_opt_outs(make_user, now):
    """Keeping two kinds opts out of the three others; ticking one back removes its opt-out."""
    person = make_user()
    services.set_email_choices(person, {"vote_open", "results_published"}, now=now)
    assert services.opted_out(person) == {"consultation_open", "closing_soon", "panel_session"}
    services.set_email_choices(person, {"vote_open", "results_published", "panel_session"}, now=now)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(NotificationOptOut)) == 2
