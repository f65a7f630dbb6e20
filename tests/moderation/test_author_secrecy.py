"""Moderators never learn who wrote a contribution: not in the history, the pages or exports."""

import pytest

from consult.accounts.models import User
from consult.extensions import db
from consult.moderation import services

from .decisions import decide


@pytest.fixture
def resubmitted(author, moderator, pre_consultation, write, now):
    """A contribution rejected by a moderator and resubmitted by its author."""
    user = db.session.get(User, author.id)
    user.display_name = "Camille Secrète"
    contribution = write(author, pre_consultation)
    decide(moderator, contribution, "reject", now, reason_code="other", reason_text="Trop long.")
    services.resubmit(author, contribution, "Version courte.", now=now)
    db.session.commit()
    return contribution


def _pages_of_a_moderator(client, contribution):
    yield client.get(f"/moderation/items/{contribution.id}")
    yield client.get("/moderation/")
    yield client.get("/moderation/?state=")
    yield client.get("/moderation/queue.csv")
    yield client.get("/moderation/queue.csv?state=")
    yield client.get("/moderation/suspensions")
    yield client.get(f"/moderation/flag/{contribution.id}")


def test_a_moderator_sees_the_author_only_as_the_author(client, login, moderator, resubmitted):
    login(client, moderator)
    for response in _pages_of_a_moderator(client, resubmitted):
        page = response.get_data(as_text=True)
        assert "Camille Secrète" not in page and "autrice@example.org" not in page, response.request
    item = client.get(f"/moderation/items/{resubmitted.id}").get_data(as_text=True)
    assert "l’auteur·rice" in item or "l'auteur" in item or "the author" in item


def test_an_administrator_still_sees_who_resubmitted(client, login, admin, resubmitted):
    login(client, admin)
    page = client.get(f"/moderation/items/{resubmitted.id}").get_data(as_text=True)
    assert "Camille Secrète" in page
