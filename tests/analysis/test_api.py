"""JSON API /api/v1/: permissions, pagination, published contributions only, no identities."""

import pytest

from consult.extensions import db


@pytest.fixture
def reader(client, login, make_user):
    """A signed-in analyst."""
    user = make_user(roles=("analyst",))
    login(client, user)
    return user


def test_anonymous_gets_401_json_and_other_roles_403(client, login, make_user, scenario):
    """No redirect to a sign-in page for an API: a JSON error."""
    response = client.get("/api/v1/consultations")
    assert response.status_code == 401 and response.json["status"] == 401
    login(client, make_user(roles=("participant",)))
    for url in (
        "/api/v1/consultations",
        f"/api/v1/consultations/{scenario.consultation.id}",
        f"/api/v1/consultations/{scenario.consultation.id}/contributions",
        f"/api/v1/consultations/{scenario.consultation.id}/participation",
    ):
        assert client.get(url).status_code == 403, url


def test_contributions_are_paginated_and_anonymous(
    client, reader, scenario, make_user, make_contribution
):
    """Pages of published contributions with links, attributed by profile, never by e-mail."""
    make_contribution(scenario.open_question, make_user(population="member"), state="pending")
    cid = scenario.consultation.id
    first = client.get(f"/api/v1/consultations/{cid}/contributions?per_page=50").json
    assert first["total"] == 72 and len(first["items"]) == 50 and first["pages"] == 2
    assert first["previous"] is None and "page=2" in first["next"]
    second = client.get(first["next"]).json
    assert len(second["items"]) == 22 and second["next"] is None
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(set(ids)) == 72
    item = first["items"][0]
    assert item["attribution"] == "Adhérente, 40-60 ans, Occitanie"
    assert "author" not in item and "@" not in str(first)
    assert item["text"].startswith("Pour moi")
    only = client.get(
        f"/api/v1/consultations/{cid}/contributions?question={scenario.words_question.id}"
    ).json
    assert only["total"] == 36


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=-1", "question=abc", "page=1.5"])
def test_bad_parameters_are_400(client, reader, scenario, query):
    """Nonsense in the query string is a clear 400, never a 500."""
    url = f"/api/v1/consultations/{scenario.consultation.id}/contributions?{query}"
    response = client.get(url)
    assert response.status_code == 400 and "error" in response.json


def test_consultations_details_and_participation(client, reader, scenario, make_consultation):
    """List, details with questions and head-counts, participation figures; drafts are hidden."""
    draft = make_consultation(status="draft", title="Brouillon")
    listing = client.get("/api/v1/consultations").json
    assert [c["title"] for c in listing["items"]] == ["Baromètre"]
    details = client.get(listing["items"][0]["url"]).json
    assert [q["kind"] for q in details["questions"]] == ["open", "words"]
    assert {p["code"]: p["eligible"] for p in details["populations"]}["employee"] == 6
    figures = client.get(details["participation"]).json
    assert figures["contributors"] == 36 and figures["contributions"] == 72
    assert figures["internal_rate_percent"] == "66.7"
    assert sum(d["contributions"] for d in figures["days"]) == 72
    assert client.get(f"/api/v1/consultations/{draft.id}").status_code == 404
    assert client.get("/api/v1/consultations/999/participation").status_code == 404
    other = make_consultation(title="Autre")
    question = db.session.get(type(scenario.open_question), scenario.open_question.id)
    url = f"/api/v1/consultations/{other.id}/contributions?question={question.id}"
    assert client.get(url).status_code == 404


def test_participation_answers_202_while_the_figures_are_computed(
    app, client, reader, scenario, rq_queue
):
    """With a background worker, the first call says the figures are on their way."""
    response = client.get(f"/api/v1/consultations/{scenario.consultation.id}/participation")
    assert response.status_code == 202 and response.json["status"] == "computing"
