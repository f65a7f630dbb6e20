"""Links in e-mails come from SITE_URL; `next` targets stay on the site; proxies are believed
only when configured."""

import re

import pytest
from conftest import PASSWORD

from consult import create_app
from consult.config import TestConfig
from consult.core import mail
from consult.core.links import safe_next


def _link(message) -> str:
    return re.search(r"https?://\S+", message.get_content()).group(0)


def test_reset_link_ignores_a_forged_host_header(client, make_user):
    """The victim's mail never points at the host the attacker typed."""
    make_user(email="victime@example.org")
    response = client.post(
        "/password/forgotten",
        data={"email": "victime@example.org"},
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 302
    link = _link(mail.outbox[-1])
    assert link.startswith("http://consult.test/password/reset/")
    assert "evil.example" not in mail.outbox[-1].get_content()


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\r\nLocation: https://evil.example",
        "/x\x7f",
        "https://evil.example/",
        "evil.example",
        "",
        None,
        "/" + "a" * 3000,
    ],
)
def test_safe_next_refuses_off_site_and_control_characters(target):
    assert safe_next(target, "/fallback") == "/fallback"


def test_safe_next_keeps_local_paths():
    assert safe_next("/consultations/3?page=2#q", "/") == "/consultations/3?page=2#q"


@pytest.mark.parametrize("target", ["/\r\n/x", "/\t/evil.example", "//evil.example"])
def test_every_next_parameter_is_safe(client, login, make_user, target):
    """Language switch, sign-in and the analysis forms share one helper: no 500, no way out."""
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    make_user(email="next@example.org")
    response = client.post(
        "/login?next=" + target, data={"email": "next@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def _app_with(**settings):
    class Config(TestConfig):
        pass

    for key, value in settings.items():
        setattr(Config, key, value)
    return create_app(Config)


def _seen_by(app, headers) -> tuple[dict, object]:
    """What a request with these headers looks like to a view of `app`."""
    seen = {}

    @app.get("/_whoami")
    def whoami():
        from flask import request

        seen["addr"], seen["secure"] = request.remote_addr, request.is_secure
        return "ok"

    return seen, app.test_client().get("/_whoami", headers=headers)


FORWARDED = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_ignored_without_trusted_proxies():
    """Without a proxy, X-Forwarded-For is whatever the client wrote: never believed."""
    seen, response = _seen_by(_app_with(SESSION_COOKIE_SECURE=True), FORWARDED)
    assert seen == {"addr": "127.0.0.1", "secure": False}
    assert "Strict-Transport-Security" not in response.headers


def test_one_trusted_proxy_gives_the_client_address_and_hsts():
    """Behind the load balancer, each person is counted by their own address, HSTS is sent."""
    app = _app_with(TRUSTED_PROXIES=1, SESSION_COOKIE_SECURE=True)
    seen, response = _seen_by(app, FORWARDED)
    assert seen == {"addr": "203.0.113.9", "secure": True}
    assert "Strict-Transport-Security" in response.headers


def test_production_requires_site_url():
    from consult.config import Config

    class Production(Config):
        SECRET_KEY = "x" * 32
        SITE_URL = None
        ASSEMBLY_SEAL_KEY = "y" * 32
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SITE_URL"):
        create_app(Production)


def test_remember_cookie_is_samesite_lax(client, make_user):
    make_user(email="remember@example.org")
    response = client.post(
        "/login", data={"email": "remember@example.org", "password": PASSWORD, "remember": "y"}
    )
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "SameSite=Lax" in remember and "HttpOnly" in remember
