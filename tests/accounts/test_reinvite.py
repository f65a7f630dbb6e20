"""Organisers can send a new invitation link to someone who never chose a password."""

from consult.core import mail


def test_organiser_sends_a_new_invitation_and_the_old_link_stops(client, login, make_user, app):
    organiser = make_user(roles=("organiser",), population=None)
    invited = make_user(email="late@example.org", password=None)
    login(client, organiser)

    response = client.post(f"/admin/people/{invited.id}/invite-again")
    assert response.status_code == 302
    first = mail.outbox[-1].get_content()
    assert "late@example.org" == mail.outbox[-1]["To"]
    link = next(line for line in first.splitlines() if "/invitation/" in line)

    client.post(f"/admin/people/{invited.id}/invite-again")
    second = mail.outbox[-1].get_content()
    assert link not in second
    path = link.split("consult.test", 1)[1]
    assert client.get(path).status_code == 410


def test_no_new_invitation_for_someone_with_a_password(client, login, make_user):
    organiser = make_user(roles=("organiser",), population=None)
    active = make_user(email="active@example.org")
    login(client, organiser)
    response = client.post(f"/admin/people/{active.id}/invite-again")
    assert response.status_code == 303
    assert mail.outbox == []


def test_participants_cannot_send_invitations(client, login, make_user):
    participant = make_user()
    invited = make_user(email="late@example.org", password=None)
    login(client, participant)
    assert client.post(f"/admin/people/{invited.id}/invite-again").status_code == 403
    assert mail.outbox == []
