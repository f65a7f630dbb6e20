"""The mission in headless Chromium: the public dashboard and an indicator page at phone and
desktop width (screenshots kept under test-output/), the committee's working pages, and
axe-core's WCAG 2.1 AA check on each."""

from datetime import date
from decimal import Decimal

import pytest

from consult.extensions import db
from consult.mission import committee, proofs, values

pytestmark = pytest.mark.browser

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def published(make_proof, make_indicator, officer, member, now):
    """Two years of validated values (one lower-is-better), a public proof, an opinion."""
    rate = make_indicator()
    emissions = make_indicator(
        title="Émissions de CO2 par adhérent et par an",
        kind="number",
        unit="kg",
        direction="down",
        baseline_value=Decimal("60"),
        baseline_year=2022,
        target_value=Decimal("49"),
        target_year=2026,
    )
    state = make_indicator(
        title="Mesure d'impact",
        kind="qualitative",
        direction=None,
        target_value=None,
        target_year=None,
    )
    for indicator, figures in (
        (rate, ("81.9", "82.7")),
        (emissions, ("60", "47.33")),
        (state, ("Note de cadrage", "Cartographie réalisée")),
    ):
        for year, figure in zip((2024, 2025), figures, strict=True):
            qualitative = indicator is state
            value = values.save_value(
                officer,
                indicator,
                None,
                now=now,
                as_of=date(year, 12, 31),
                figure=None if qualitative else Decimal(figure),
                text_value=figure if qualitative else "",
            )
            values.transition(officer, value, "submit", now=now)
            values.transition(member, value, "validate", now=now)
    proof = make_proof(
        title="Bus santé dans les communes rurales",
        happened_on=date(2025, 5, 12),
        department="Prévention et santé",
        territory="Bretagne",
        links=[f"i:{rate.id}"],
    )
    proofs.decide(member, proof, now=now, status="retained", public=True)
    opinion = committee.write_opinion(
        member,
        None,
        now=now,
        year=2025,
        title="Avis du comité sur 2025",
        body="Le comité constate des progrès.",
    )
    committee.publish_opinion(member, opinion, now=now)
    db.session.commit()
    return {"rate": rate, "emissions": emissions}


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_public_dashboard_reads_well_at_every_width(
    live_server, page, screenshot, axe, published, width
):
    page.set_viewport_size({"width": width, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/mission")
    page.get_by_role("heading", level=1).wait_for()
    assert page.locator("h1").count() == 1
    table = page.locator("table.mission-dashboard").first
    assert "82,7" in table.inner_text() and "47,33" in page.content()
    assert page.get_by_text("Cible atteinte").count() >= 2  # both directions read right
    screenshot(page, f"mission-dashboard-{width}")
    assert page.evaluate(OVERFLOW) <= 0
    axe.check(page, f"dashboard {width}")

    page.get_by_role("link", name="Émissions de CO2 par adhérent et par an").click()
    page.get_by_role("heading", level=1, name="Émissions de CO2 par adhérent et par an").wait_for()
    assert page.locator("svg[role=img]").count() == 1
    assert page.get_by_role("table").count() == 1
    screenshot(page, f"mission-indicator-{width}")
    assert page.evaluate(OVERFLOW) <= 0
    axe.check(page, f"indicator {width}")

    for path in ("/mission/proofs", "/mission/opinions"):
        page.goto(live_server.url + path)
        page.get_by_role("heading", level=1).wait_for()
        assert page.evaluate(OVERFLOW) <= 0
        axe.check(page, f"{path} {width}")
    page.get_by_role("link", name="Avis du comité sur 2025").click()
    page.get_by_text("Le comité constate des progrès.").wait_for()
    axe.check(page, f"opinion {width}")
    assert errors == []


def test_the_dashboard_prints_without_navigation(live_server, page, published, tmp_path):
    page.goto(f"{live_server.url}/mission")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".subnav").is_visible()
    assert page.locator("table.mission-dashboard").first.is_visible()
    pdf = page.pdf(path=str(tmp_path / "dashboard.pdf"))
    assert pdf.startswith(b"%PDF")


def test_the_committee_validates_a_value_in_the_browser(
    sign_in, live_server, page, screenshot, axe, published, make_user, officer, now
):
    member = make_user(roles=("committee",), email="comite@example.org")
    value = values.save_value(
        officer, published["rate"], None, now=now, as_of=date(2023, 12, 31), figure=Decimal("80.1")
    )
    values.transition(officer, value, "submit", now=now)
    db.session.commit()
    sign_in(page, member)
    page.goto(f"{live_server.url}/mission/manage")
    page.get_by_role("heading", level=1, name="Suivi de la mission").wait_for()
    axe.check(page, "workspace")
    page.get_by_role("link", name="Taux de redistribution").first.click()
    page.get_by_role("heading", level=1).wait_for()
    axe.check(page, "value")
    screenshot(page, "mission-value-1280")
    page.get_by_role("button", name="Valider la valeur").click()
    page.get_by_text("Validée par le comité").first.wait_for()
    for path in (
        "/mission/manage/proofs",
        "/mission/manage/sessions",
        "/mission/manage/opinions",
        "/mission/manage/sessions/new",
        "/mission/manage/opinions/new",
    ):
        page.goto(live_server.url + path)
        page.get_by_role("heading", level=1).wait_for()
        axe.check(page, path)
