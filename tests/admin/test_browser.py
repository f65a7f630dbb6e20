"""In headless Chromium: an administrator signs in, lands on the administration home, changes a
setting; an analyst makes an API token. Each page passes axe-core at 390 and 1280 px."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_administrator_lands_on_administration_and_changes_a_setting(
    sign_in, live_server, page, screenshot, axe, make_user, make_consultation, width
):
    admin = make_user(email="admin@example.org", roles=("administrator",))
    make_consultation()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, admin)
    # expect() waits for the page the sign-in redirects to (is_visible() would not).
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    screenshot(page, f"admin-home-{width}")
    axe.check(page, "admin home")
    page.get_by_role("link", name="Ouvrir les paramètres").click()
    page.get_by_label("Valeur").first.fill("0")
    page.locator("#moderation-flag_threshold button[type=submit]").click()
    assert page.get_by_text("Saisissez un nombre de 1 à 1").first.is_visible()
    axe.check(page, "settings with an error")
    page.locator("#moderation-flag_threshold-value").fill("5")
    page.locator("#moderation-flag_threshold button[type=submit]").click()
    assert page.get_by_text("enregistré").first.is_visible()
    screenshot(
        page,
        f"admin-settings-{width}",
    )
    axe.check(page, "settings")


def test_analyst_makes_a_token(sign_in, live_server, page, screenshot, axe, make_user):
    analyst = make_user(email="analyste@example.org", roles=("analyst",))
    sign_in(page, analyst)
    page.goto(f"{live_server.url}/my/api-tokens")
    page.get_by_label("Nom").fill("Export R")
    page.get_by_label("Les consultations et leurs contributions publiées").check()
    page.get_by_role("button", name="Créer le jeton").click()
    assert page.get_by_role("heading", name="Votre nouveau jeton").is_visible()
    screenshot(page, "api-tokens-1280")
    axe.check(page, "tokens")
    page.goto(f"{live_server.url}/developers/api")
    axe.check(page, "API reference")
