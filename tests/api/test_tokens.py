"""Personal access tokens through the API, with and without a session; the OpenAPI document."""

import html
import re
from datetime import timedelta

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from consult.api import rules, tokens
from consult.api.models import ApiToken
from consult.core.models import AuditEvent
from consult.extensions import db

ROLES = [None, "participant", "delegate", "moderator", "analyst", "organiser", "administrator"]


@pytest.fixture
def analyst(make_user):
    return make_user(email="analyste@example.org", roles=("analyst",))


@pytest.fixture
def consultation(make_consultation):
    return make_consultation()


def make_token(user, now, scopes=("consultations",), days=30):
    token, secret = tokens.create(user, name="Export R", scopes=scopes, days=days, now=now)
    db.session.commit()
    return token, secret


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_made_on_the_page_is_shown_once_and_stored_hashed(client, login, analyst):
    login(client, analyst)
    page = client.post(
        "/my/api-tokens", data={"name": "Export R", "scopes": ["consultations"], "days": "30"}
    )
    assert page.status_code == 200
    secret = re.search(r"(cst_[\w-]{40,})", page.get_data(as_text=True)).group(1)
    token = db.session.scalars(select(ApiToken)).one()
    assert token.token_hash == rules.token_hash(secret) and secret not in token.token_hash
    assert token.prefix == secret[:12] and token.scopes == "consultations"
    assert secret not in client.get("/my/api-tokens").get_data(as_text=True)  # shown once
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api.token.create"))
    assert event.one().actor_id == analyst.id


def test_refused_token_forms_change_nothing(client, login, analyst, table_counts):
    login(client, analyst)
    before = table_counts()
    for data in (
        {"name": "", "scopes": ["consultations"], "days": "30"},
        {"name": "X", "days": "30"},
        {"name": "X", "scopes": ["everything"], "days": "30"},
        {"name": "X", "scopes": ["results"], "days": "3650"},
    ):
        assert client.post("/my/api-tokens", data=data).status_code == 422
    assert table_counts() == before


def test_a_token_reads_without_a_session_within_its_scopes(app, client, analyst, consultation, now):
    _token, secret = make_token(analyst, now, scopes=("consultations",))
    listed = client.get("/api/v1/consultations", headers=bearer(secret))
    assert listed.status_code == 200 and listed.json["total"] == 1
    assert "Set-Cookie" not in listed.headers  # a token never opens a session
    detail = client.get(f"/api/v1/consultations/{consultation.id}", headers=bearer(secret))
    assert detail.status_code == 200
    outside = client.get(
        f"/api/v1/consultations/{consultation.id}/participation", headers=bearer(secret)
    )
    assert (
        outside.status_code == 403 and "insufficient_scope" in outside.headers["WWW-Authenticate"]
    )
    assert client.get("/api/v1/assemblies/1/results", headers=bearer(secret)).status_code == 403
    _other, results = make_token(analyst, now, scopes=("results",))
    assert client.get("/api/v1/consultations", headers=bearer(results)).status_code == 403
    assert db.session.get(ApiToken, _token.id).last_used_at is not None


def test_expired_revoked_and_unknown_tokens_are_refused(client, login, analyst, now):
    token, secret = make_token(analyst, now)
    assert client.get("/api/v1/consultations", headers=bearer(secret)).status_code == 200
    token.expires_at = now - timedelta(minutes=1)
    db.session.commit()
    expired = client.get("/api/v1/consultations", headers=bearer(secret))
    assert expired.status_code == 401 and expired.json["status"] == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    _fresh, secret = make_token(analyst, now)
    login(client, analyst)
    revoked = client.post(f"/my/api-tokens/{_fresh.id}/revoke")
    assert revoked.status_code == 303 and db.session.get(ApiToken, _fresh.id).revoked_at
    client.post("/logout")
    assert client.get("/api/v1/consultations", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/consultations", headers=bearer("cst_nope")).status_code == 401
    assert (
        client.get("/api/v1/consultations", headers={"Authorization": "Basic x"}).status_code == 401
    )


def test_with_a_session_the_token_still_decides(client, login, analyst, make_user, now):
    token, secret = make_token(analyst, now, scopes=("results",))
    login(client, analyst)
    assert client.get("/api/v1/consultations").status_code == 200  # the session, no header
    # a header sent along with the session is what counts: its scopes, its expiry
    assert client.get("/api/v1/consultations", headers=bearer(secret)).status_code == 403
    tokens.revoke(analyst, token, now=now)
    db.session.commit()
    assert client.get("/api/v1/consultations", headers=bearer(secret)).status_code == 401
    # a participant's session does not borrow an analyst's token's roles, nor the reverse
    participant = make_user(roles=("participant",))
    _t, other = make_token(analyst, now, scopes=("consultations",))
    client.post("/logout")
    login(client, participant)
    assert client.get("/api/v1/consultations").status_code == 403
    assert client.get("/api/v1/consultations", headers=bearer(other)).status_code == 200


def test_a_token_acts_with_its_owners_roles_of_the_moment(client, analyst, now):
    _token, secret = make_token(analyst, now)
    analyst.roles.clear()
    db.session.commit()
    assert client.get("/api/v1/consultations", headers=bearer(secret)).status_code == 403


def test_api_requests_are_rate_limited(app, client, analyst, now, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    _token, secret = make_token(analyst, now)
    codes = [client.get("/api/v1/consultations", headers=bearer(secret)).status_code for _ in "abc"]
    assert codes == [200, 200, 429]


def test_only_the_owner_revokes(client, login, analyst, make_user, now):
    token, _secret = make_token(analyst, now)
    login(client, make_user(roles=("organiser",)))
    assert client.post(f"/my/api-tokens/{token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_token_pages(client, sign_in_as, check_access, role):
    sign_in_as(role)
    check_access(client.get("/my/api-tokens"), role, ("analyst", "organiser"), "/my/api-tokens")
    assert client.get("/developers/api").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_openapi_document_validates_and_lists_every_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)  # openapi-spec-validator, OpenAPI 3.1 schema
    documented = {"/api/v1" + path for path in document["paths"]}
    served = {
        re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.endpoint != "api.openapi_document"
    }
    assert served == documented
    assert {"/api/v1/mission", "/api/v1/mission/indicators/{indicator_id}"} <= documented
    public = {path for path, item in document["paths"].items() if not item["get"]["security"]}
    assert public == {path for path in document["paths"] if path.startswith("/mission")}
    assert set(rules.ENDPOINT_SCOPES) | rules.PUBLIC_ENDPOINTS == {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        and rule.endpoint.split(".")[0] not in rules.PUBLIC_BLUEPRINTS
    }
    page = html.unescape(client.get("/developers/api").get_data(as_text=True))
    assert "Authorization: Bearer" in page and "/consultations/{consultation_id}" in page
    assert "/mission/indicators/{indicator_id}" in page and "public\u00a0: aucun jeton" in page


def test_the_reference_page_speaks_the_readers_language_and_the_document_english(client):
    """The operations' summaries and descriptions are messages: French on the French page,
    English on the English one, and always English, unescaped, in the JSON for developers."""
    ballots = "/assemblies/{assembly_id}/ballots"
    page = html.unescape(client.get("/developers/api").get_data(as_text=True))
    assert "Bulletins publiés" in page and "Published ballots" not in page
    assert "Les avis annuels publiés du comité" in page
    english = client.get("/developers/api", headers={"Accept-Language": "en"})
    assert "Published ballots" in html.unescape(english.get_data(as_text=True))
    document = client.get("/api/v1/openapi.json").json
    assert document["paths"][ballots]["get"]["summary"] == "Published ballots"
    opinions = document["paths"]["/mission/opinions"]["get"]["description"]
    assert opinions == "The committee's published yearly opinions, with their published text."


def test_the_api_reference_takes_its_address_from_site_url_not_the_host(app, client):
    """A forged Host header never reaches the documented server (nor the page's examples)."""
    evil = {"Host": "evil.example"}
    document = client.get("/api/v1/openapi.json", headers=evil).json
    assert document["servers"] == [{"url": app.config["SITE_URL"] + "/api/v1"}]
    page = client.get("/developers/api", headers=evil).get_data(as_text=True)
    assert "evil.example" not in page and app.config["SITE_URL"] + "/api/v1/consultations" in page
