"""The language switch only ever sends people back to a page of this site."""

import pytest


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example/", "https://evil.example/", "evil.example"]
)
def test_language_switch_refuses_every_off_site_target(client, target):
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page(client):
    response = client.post("/language", data={"lang": "en", "next": "/login?next=/profile"})
    assert response.headers["Location"] == "/login?next=/profile"
