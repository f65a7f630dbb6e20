"""Notification pages: who opens them, the list, the settings and the one-click opt-out."""

import pytest
from sqlalchemy import select

from consult.core import mail
from consult.extensions import db
from consult.notifications import delivery, services
from consult.notifications.models import NotificationOptOut
from tests.conftest import EVERY_ROLE


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_permission_matrix(client, role, sign_in_as, check_access, table_counts):
    """The list and the settings need an account; a forged opt-out link is a 404 for anyone."""
    sign_in_as(role)
    for path in ("/notifications/", "/notifications/settings"):
        check_access(client.get(path), role, (), path)
    before = table_counts() if role is None else None
    check_access(client.post("/notifications/read"), role, (), "/notifications/read")
    check_access(
        client.post("/notifications/settings", data={}), role, (), "/notifications/settings"
    )
    if before is not None:
        assert table_counts() == before
    assert client.get("/notifications/stop/forged").status_code == 404
    assert client.post("/notifications/stop/forged").status_code == 404


def _told(app, person, now, kind="consultation_open"):
    """One notification for the person."""
    with app.test_request_context():
        services.notify(
            [person.id],
            kind,
            ("consultation", 1),
            params={"title": "Baromètre", "when": now.isoformat()},
            url="/",
            now=now,
        )
    db.session.commit()
    mail.deliver()


def test_the_list_shows_new_notifications_and_marks_them_read(app, client, make_user, login, now):
    """A new notification is shown with its sentence; "mark all as read" clears the badge."""
    person = make_user()
    _told(app, person, now)
    login(client, person)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Baromètre" in page and "notification-unread" in page
    assert client.post("/notifications/read").status_code == 303
    assert "notification-unread" not in client.get("/notifications/").get_data(as_text=True)
    assert services.unread(person)[1] == 0


def test_settings_untick_a_kind(client, make_user, login):
    """Unticking keeps the others; the page comes back with the boxes as saved."""
    person = make_user()
    login(client, person)
    kept = ["closing_soon", "results_published", "panel_session", "vote_open"]
    response = client.post("/notifications/settings", data={"kinds": kept})
    assert response.status_code == 303
    assert services.opted_out(person) == {"consultation_open"}
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert 'value="consultation_open"' in page and 'value="consultation_open" checked' not in page


def test_settings_refuse_an_unknown_kind(client, make_user, login, table_counts):
    """A kind that does not exist is a 422 and nothing is saved."""
    login(client, make_user())
    before = table_counts()
    response = client.post("/notifications/settings", data={"kinds": ["weather"]})
    assert response.status_code == 422
    assert table_counts() == before


def test_one_click_opt_out_from_the_email(app, client, make_user, now):
    """The link in the e-mail opens a page with one button; after it, that kind stops."""
    person = make_user()
    _told(app, person, now)
    link = next(
        line
        for line in mail.outbox[-1].get_content().splitlines()
        if "/notifications/stop/" in line
    )
    path = "/notifications/stop/" + link.rsplit("/notifications/stop/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    assert db.session.scalar(select(NotificationOptOut)) is None  # opening the link changes nothing
    assert client.post(path).status_code == 200
    assert services.opted_out(person) == {"consultation_open"}
    assert client.post(path).status_code == 200  # a second click is harmless
    mail.outbox.clear()
    _told(app, person, now, kind="closing_soon")  # another kind still comes
    assert len(mail.outbox) == 1


def test_mail_clients_one_click_post(client, make_user):
    """RFC 8058: the client posts List-Unsubscribe=One-Click without a session or CSRF token."""
    person = make_user()
    with client.application.test_request_context():
        token = delivery.opt_out_token(person.id, "vote_open")
    response = client.post(f"/notifications/stop/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 204
    assert services.opted_out(person) == {"vote_open"}


def test_a_token_for_another_kind_or_a_deleted_account_is_refused(client, make_user, now):
    """A validly signed token naming an unknown kind, or a deleted person, opens nothing."""
    person = make_user()
    with client.application.test_request_context():
        weather = delivery.opt_out_token(person.id, "weather")
        valid = delivery.opt_out_token(person.id, "vote_open")
    assert client.get(f"/notifications/stop/{weather}").status_code == 404
    person.deleted_at = now
    db.session.commit()
    assert client.post(f"/notifications/stop/{valid}").status_code == 404


def test_the_cron_command_scans_and_sends(runner, make_user, make_consultation):
    """`consult notifications send` prints what it told and sends inline without Redis."""
    make_consultation()
    make_user()
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "consultation_open: 1" in result.output
    assert "0 e-mails waiting in the outbox" in result.output
    assert len(mail.outbox) == 1  # sent when the command's context ended


def test_the_cron_command_counts_the_outbox_in_the_singular_and_the_plural(
    app, runner, now, monkeypatch
):
    """What the inline delivery leaves in the outbox is counted with the noun its number needs."""
    monkeypatch.setitem(app.config, "MAIL_INLINE_LIMIT", 1)
    mail.queue_mails([("a@example.org", "S", "B"), ("b@example.org", "S", "B")], now=now)
    db.session.commit()
    assert "1 e-mail waiting in the outbox" in runner.invoke(args=["notifications", "send"]).output
    mail.queue_mails([("c@example.org", "S", "B"), ("d@example.org", "S", "B")], now=now)
    db.session.commit()
    assert "2 e-mails waiting in the outbox" in runner.invoke(args=["notifications", "send"]).output
