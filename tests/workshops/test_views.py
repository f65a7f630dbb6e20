"""Workshop pages: the permission matrix, the public collection, the conflict page, bad input."""

import pytest

from consult.extensions import db
from consult.workshops import services
from consult.workshops.models import StoryVersion
from tests.conftest import EVERY_ROLE

ORGANISER = ("organiser",)


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_permission_matrix(client, sign_in_as, check_access, make_workshop, role, now):
    workshop = make_workshop(phase="published")
    story = workshop.groups[0].story
    sign_in_as(role)
    for path, allowed in [
        ("/workshops", None),
        (f"/workshops/{workshop.id}", None),
        (f"/workshops/{workshop.id}/print", None),
        ("/workshops/manage", ORGANISER),
        ("/workshops/manage/new", ORGANISER),
        (f"/workshops/manage/{workshop.id}", ORGANISER),
    ]:
        check_access(client.get(path), role, allowed, path)
    for path in (
        f"/workshops/manage/{workshop.id}/groups",
        f"/workshops/manage/{workshop.id}/phase",
        f"/workshops/manage/{workshop.id}/headings",
    ):
        check_access(client.post(path), role, ORGANISER, path, ok=(200, 302, 422))
    path = f"/workshops/{workshop.id}/stories/{story.id}/edit"
    response = client.get(path)
    if role is None:
        assert response.status_code == 302
    else:
        assert response.status_code == 403  # not a co-author of this group


def test_unpublished_workshops_are_for_participants_only(client, login, make_workshop, make_user):
    workshop = make_workshop(phase="write")
    assert client.get(f"/workshops/{workshop.id}").status_code == 404
    login(client, make_user())
    assert client.get(f"/workshops/{workshop.id}").status_code == 404
    client.post("/logout")
    login(client, workshop.authors[0])
    assert client.get(f"/workshops/{workshop.id}").status_code == 200


def test_co_writing_through_the_pages_with_a_conflict(client, login, make_workshop, table_counts):
    workshop = make_workshop(phase="write")
    story = workshop.groups[0].story
    first, second = workshop.authors[:2]
    edit = f"/workshops/{workshop.id}/stories/{story.id}/edit"
    login(client, first)
    before = table_counts()
    response = client.post(edit, data={"title": "", "body": "Texte", "base_version": "0"})
    assert response.status_code == 422
    assert "Donnez un titre au récit" in response.get_data(as_text=True)
    assert table_counts() == before
    assert (
        client.post(
            edit, data={"title": "Le quartier", "body": "Un.\n\nDeux.", "base_version": "0"}
        ).status_code
        == 302
    )
    client.post("/logout")
    login(client, second)
    response = client.post(
        edit, data={"title": "Le mien", "body": "Autre chose.", "base_version": "0"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Quelqu’un a enregistré la version 1" in page
    assert "Autre chose." in page and "Deux." in page  # both texts shown, nothing overwritten
    assert db.session.query(StoryVersion).count() == 1
    history = client.get(f"/workshops/{workshop.id}/stories/{story.id}/history?from=0&to=1")
    assert history.status_code == 200 and "<ins>" in history.get_data(as_text=True)
    assert (
        client.get(f"/workshops/{workshop.id}/stories/{story.id}/history?from=0&to=9").status_code
        == 404
    )


def test_comment_page_refuses_bad_input(client, login, make_workshop, now):
    workshop = make_workshop(phase="write")
    story = workshop.groups[0].story
    services.save_story(
        workshop.authors[0],
        story,
        title="Le quartier",
        body="Un.\n\nDeux.",
        base_version=0,
        now=now,
    )
    workshop.phase = "comment"
    db.session.commit()
    login(client, workshop.authors[1])
    url = f"/workshops/{workshop.id}/stories/{story.id}/comments"
    response = client.post(url, data={"paragraph": "1", "text": ""})
    assert response.status_code == 422
    assert "Écrivez un commentaire ou choisissez un ressenti" in response.get_data(as_text=True)
    assert client.post(url, data={"paragraph": "abc", "text": "x"}).status_code == 422
    assert client.post(url, data={"paragraph": "1", "sentiment": "anger"}).status_code == 422
    assert (
        client.post(
            url, data={"paragraph": "1", "text": "Belle idée", "sentiment": "idea"}
        ).status_code
        == 302
    )
    page = client.get(f"/workshops/{workshop.id}/stories/{story.id}").get_data(as_text=True)
    assert "Belle idée" in page


def test_published_collection_is_public_and_exported(client, make_workshop, now):
    workshop = make_workshop(phase="write")
    story = workshop.groups[0].story
    services.save_story(
        workshop.authors[0], story, title="Le quartier", body="Un récit.", base_version=0, now=now
    )
    workshop.phase = "finalise"
    services.set_phase(workshop.organiser, workshop, "published", now=now)
    heading = services.add_heading(workshop.organiser, workshop, title="Proximité", now=now)
    services.add_idea(
        workshop.organiser, heading, text="Des soins près de chez soi", story_id=story.id, now=now
    )
    db.session.commit()
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "Un récit." in page and "Proximité" in page
    exported = client.get(f"/workshops/{workshop.id}/export.md")
    assert exported.headers["Content-Type"].startswith("text/markdown")
    assert "- Des soins près de chez soi" in exported.get_data(as_text=True)
