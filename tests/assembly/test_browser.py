"""A delegate on a phone votes, keeps the tracking code and finds it in the published list."""

import re

import pytest

from consult.assembly import services
from consult.extensions import db

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def sign_in(page, base_url, email):
    """Use the real sign-in form."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


@pytest.fixture
def open_vote(app, make_assembly, officer, delegate_user, now):
    """An assembly with two open resolutions (one a choice of wordings); delegate 1 can sign in."""
    assembly = make_assembly(
        delegates=4,
        resolutions=(("Raison d’être", "statutory"),),
        wordings=["Prendre soin de chacun", "Protéger et accompagner"],
    )
    user = delegate_user(1)
    user.set_password(PASSWORD)
    with app.test_request_context():
        services.open_all(officer, assembly, now=now)
    db.session.commit()
    return assembly, user


def test_delegate_votes_on_a_phone_and_checks_the_tracking_code(
    app, live_server, page, screenshot, open_vote, officer, now
):
    assembly, user = open_vote
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, user.email)

    page.locator("summary", has_text="Menu").click()  # a phone: the navigation is folded
    page.get_by_role("link", name="Assemblée générale", exact=True).click()
    page.get_by_role("link", name="Voter").click()
    assert page.get_by_text(assembly.freeze_hash).is_visible()
    motion = page.locator("section.ballot").first
    motion.get_by_label("Pour").check()
    screenshot(page, "assembly-ballot-390")
    motion.get_by_role("button", name="Voter").click()

    receipt = page.locator("section.ballot").first.locator(".receipt")
    assert "Votre vote est pris en compte" in receipt.inner_text()
    code = CODE.search(receipt.inner_text()).group(0)
    # A vote change is allowed until the close: the form is still there.
    assert (
        page.locator("section.ballot").first.get_by_role("button", name="Modifier le vote").count()
    )

    wordings = page.locator("section.ballot").nth(1)
    wordings.locator("fieldset.grades").nth(0).get_by_label("Très bien").check()
    wordings.locator("fieldset.grades").nth(1).get_by_label("Passable").check()
    wordings.get_by_role("button", name="Voter").click()
    assert page.locator("section.ballot").nth(1).locator(".receipt").count()
    screenshot(page, "assembly-voted-390")

    with app.test_request_context():
        services.close_all(officer, db.session.get(services.Assembly, assembly.id), now=now)
    db.session.commit()

    page.goto(f"{live_server.url}/assemblies/{assembly.id}/vote")
    assert page.get_by_text("Aucun vote n’est ouvert pour le moment.").is_visible()
    page.get_by_role("link", name="Vérifier mon code de suivi dans la liste publiée").click()
    assert page.locator("table.codes").first.get_by_text(code).is_visible()
    page.get_by_label("Votre code de suivi").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Rechercher").click()
    found = page.locator(".found")
    assert "est compté dans la résolution 1" in found.inner_text()
    assert "Pour" in found.inner_text()
    screenshot(page, "assembly-code-found-390")


@pytest.mark.parametrize("width", [390, 1280])
def test_officer_pages_and_minutes_render(
    app, live_server, page, screenshot, open_vote, officer, delegate_user, now, width
):
    assembly, _ = open_vote
    with app.test_request_context():
        services.give_proxy(
            officer, assembly, assembly.delegates[3], assembly.delegates[2], now=now
        )
        for n, choice in [(1, "for"), (2, "for"), (3, "against")]:
            services.cast(
                delegate_user(n),
                assembly.resolutions[0],
                assembly.delegates[n - 1],
                choice=choice,
                now=now,
            )
        services.close_all(officer, assembly, now=now)
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, officer.email)
    page.goto(f"{live_server.url}/assemblies/{assembly.id}")
    assert page.get_by_role("heading", name="Ordre du jour").is_visible()
    screenshot(page, f"assembly-manage-{width}")
    page.get_by_role("link", name="Liste, présences et pouvoirs").click()
    assert page.get_by_text("Représenté par Délégué 3").is_visible()
    screenshot(page, f"assembly-roll-{width}")
    page.goto(f"{live_server.url}/assemblies/{assembly.id}/minutes")
    assert page.get_by_role("heading", name="Résolution 1\u00a0: Raison d’être").is_visible()
    assert page.get_by_text("Adoptée").first.is_visible()
    screenshot(page, f"assembly-minutes-{width}")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    screenshot(page, f"assembly-minutes-print-{width}")


@pytest.mark.parametrize("width", [390, 1280])
def test_a_vote_lost_at_commit_time_is_told_plainly(
    live_server, page, screenshot, open_vote, width
):
    """The COMMIT fails (connection lost): the page, built without the database, says so."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    assembly, user = open_vote
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/assemblies/{assembly.id}/vote")
    page.locator("section.ballot").first.get_by_label("Pour").check()

    def fail(_connection):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    event.listen(db.engine, "commit", fail)
    try:
        page.locator("section.ballot").first.get_by_role("button", name="Voter").click()
        assert page.get_by_role("alert").is_visible()
    finally:
        event.remove(db.engine, "commit", fail)
    assert "Votre vote n’a pas été enregistré" in page.get_by_role("alert").inner_text()
    assert not CODE.search(page.content())
    screenshot(page, f"assembly-not-recorded-{width}")
    page.go_back()
    page.reload()
    assert not page.locator(".receipt").count()
