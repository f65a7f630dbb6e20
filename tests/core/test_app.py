"""The application shell: health check, headers, CSRF, languages, error pages."""

from consult import create_app
from consult.config import TestConfig


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": True}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    class Broken(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"

    app = create_app(Broken)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] is False


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_are_french_by_default_and_english_on_request(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Se connecter" in page
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page


def test_language_switch_never_redirects_off_site(client):
    response = client.post("/language", data={"lang": "en", "next": "//evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_unknown_page_is_a_french_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_a_404_offers_a_way_back_to_the_page_of_this_site_one_came_from(client):
    page = client.get("/nowhere", headers={"Referer": "http://localhost/login?next=%2F"})
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert '<a href="/login?next=%2F">Revenir à la page précédente</a>' in html
    assert "Retour à l’accueil" in html
    elsewhere = client.get("/nowhere", headers={"Referer": "https://evil.example/x"})
    assert "page précédente" not in elsewhere.get_data(as_text=True)


def test_forms_require_a_csrf_token_when_protection_is_on(app, client, make_user):
    user = make_user()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": user.email, "password": "x"})
        assert response.status_code == 400
        response = client.post("/language", data={"lang": "en"})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_session_cookie_is_httponly_and_lax(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_config_refuses_to_start_without_a_secret(monkeypatch):
    from consult.config import Config

    class Production(Config):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    import pytest

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)
