"""An analyst, in headless Chromium: proposes themes, renames one, writes a finding and quotes."""

import pytest

pytestmark = pytest.mark.browser

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_analyst_goes_from_contributions_to_a_quoted_finding(
    sign_in, live_server, page, screenshot, scenario, make_user, width
):
    """Every analysis page works without JavaScript, fits the screen and has one h1."""
    analyst = make_user(roles=("analyst",), email="analyste@example.org")
    page.set_viewport_size({"width": width, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, analyst)

    if width < 900:  # phones: the navigation is folded into the Menu
        page.locator("summary", has_text="Menu").click()
    page.get_by_role("link", name="Analyse").first.click()
    page.get_by_role("link", name="Baromètre").click()
    assert page.locator("svg[role=img]").count() == 5
    screenshot(page, f"analysis-overview-{width}")
    assert page.evaluate(OVERFLOW) <= 0

    page.get_by_role("link", name="Mots").first.click()
    page.get_by_role("button", name="Compter les mots").click()
    page.get_by_role("link", name="Voir les résultats").click()
    page.get_by_role("rowheader", name="santé").wait_for()
    screenshot(page, f"analysis-words-{width}")
    assert page.evaluate(OVERFLOW) <= 0

    page.go_back()
    page.go_back()
    page.goto(f"{live_server.url}/analysis/questions/{scenario.open_question.id}/topics")
    page.get_by_label("Nombre de thèmes").fill("3")
    page.get_by_role("button", name="Proposer des thèmes").last.click()
    page.get_by_role("link", name="Voir les résultats").click()
    page.locator("table tbody tr").nth(2).wait_for()
    assert page.locator("table tbody tr").count() == 3
    screenshot(page, f"analysis-topics-{width}")
    assert page.evaluate(OVERFLOW) <= 0

    page.locator("table tbody th a").first.click()
    page.get_by_label("Nom du thème").fill("Accès aux soins")
    page.get_by_role("button", name="Renommer").click()
    page.get_by_role("heading", level=1, name="Accès aux soins").wait_for()

    page.goto(f"{live_server.url}/analysis/consultations/{scenario.consultation.id}/findings")
    page.get_by_label("Titre").fill("Se soigner près de chez soi")
    page.get_by_label("Texte").fill("Les adhérents parlent d’abord d’accès aux soins.")
    page.get_by_label("1. Accès aux soins").check()
    page.get_by_role("button", name="Enregistrer l’enseignement").click()
    page.get_by_role("heading", name="1. Se soigner près de chez soi").wait_for()

    page.goto(f"{live_server.url}/analysis/questions/{scenario.open_question.id}/topics")
    page.get_by_role("link", name="Accès aux soins").click()
    page.get_by_role("button", name="Citer dans cet enseignement").first.click()
    page.get_by_role("status").filter(has_text="La citation est ajoutée").wait_for()
    screenshot(page, f"analysis-topic-{width}")
    assert page.evaluate(OVERFLOW) <= 0

    page.goto(f"{live_server.url}/analysis/consultations/{scenario.consultation.id}/report")
    quote = page.locator("blockquote.quote").first
    assert "\u00a0» — " in quote.inner_text() and "40-60 ans" in quote.inner_text()
    screenshot(page, f"analysis-report-{width}")
    assert page.evaluate(OVERFLOW) <= 0
    assert page.locator("h1").count() == 1
    page.goto(f"{live_server.url}/analysis/questions/{scenario.open_question.id}/compare")
    screenshot(page, f"analysis-compare-{width}")
    assert page.evaluate(OVERFLOW) <= 0
    assert errors == []
