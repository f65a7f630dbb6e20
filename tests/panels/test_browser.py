"""In headless Chromium: a citizen volunteers through the public form; an organiser draws."""

import pytest

from consult.extensions import db
from consult.panels.models import PanelSeat, PanelVolunteer

pytestmark = pytest.mark.browser

PROFILES = [("woman", "young"), ("man", "old"), ("woman", "old"), ("man", "young")]


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_citizen_volunteers_through_the_public_form(
    live_server, page, screenshot, make_project, width
):
    project = make_project()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/panels/{project.id}/volunteer")
    page.get_by_label("Prénom").fill("Claire")
    page.locator("#last_name").fill("Martin")
    page.get_by_label("Adresse e-mail").fill("claire.martin@example.org")
    page.get_by_label("Année de naissance").fill("1986")
    page.get_by_label("Code postal").fill("44000")
    page.get_by_role("group", name="Êtes-vous adhérent·e de la mutuelle\u00a0?").get_by_label(
        "Non"
    ).check()
    page.get_by_label("Une femme").check()
    page.get_by_label("20-40 ans").check()
    screenshot(page, f"panels-volunteer-form-{width}")
    page.get_by_role("button", name="Me porter volontaire").click()
    # the consents are missing: refused, with the reason next to the boxes
    assert page.get_by_role("alert").filter(has_text="Ce consentement est nécessaire").count()
    page.get_by_label("J’accepte d’être contacté·e").check()
    page.get_by_label("J’accepte que mes réponses").check()
    page.get_by_role("button", name="Me porter volontaire").click()
    assert page.get_by_role("heading", name="Merci de vous être porté·e volontaire").is_visible()
    screenshot(page, f"panels-volunteer-thanks-{width}")
    person = db.session.query(PanelVolunteer).one()
    assert person.email == "claire.martin@example.org" and not person.is_member
    # The pseudonymous key goes by e-mail only: the page is the same whether or not the address
    # had applied before, so it tells nobody who volunteered.
    assert page.get_by_text(person.key).count() == 0


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_organiser_commits_and_draws(
    live_server, page, screenshot, make_project, add_volunteers, organiser, width
):
    project = make_project(quotas={"woman": (2, 2), "old": (1, 3)})
    add_volunteers(project, PROFILES * 6)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Adresse e-mail").fill(organiser.email)
    page.get_by_label("Mot de passe").fill("correct-horse-battery")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/panels/organise")
    page.get_by_role("link", name="Raison d'être").click()
    assert page.get_by_text(
        "Les quotas peuvent être respectés avec les 24 volontaires"
    ).is_visible()
    screenshot(page, f"panels-project-{width}")
    page.get_by_role("link", name="Quotas Nantes").click()
    assert page.get_by_role("table", name="Genre").is_visible()
    screenshot(page, f"panels-quotas-{width}")
    page.get_by_role("button", name="Enregistrer les quotas").click()
    page.get_by_role("link", name="24 volontaires").click()
    screenshot(page, f"panels-volunteers-{width}")
    page.get_by_role("link", name="Raison d'être").click()
    page.get_by_role("button", name="Engager le vivier et les quotas").click()
    # The lottery is computed as a job (inline without Redis): its page says when it is published.
    assert page.get_by_role("status").filter(has_text="Engagement publié").count()
    page.get_by_role("link", name="Saisir la graine et tirer au sort").click()
    page.get_by_label("Graine").fill("7 12 23 31 40 44")
    # The draw is final: a confirmation step (a disclosure, no JavaScript needed) comes first.
    page.locator("summary", has_text="Tirer au sort").click()
    assert page.get_by_text("Le tirage est définitif").is_visible()
    page.get_by_role("button", name="Confirmer").click()
    assert page.get_by_role("status").filter(has_text="8 invitations envoyées").count()
    assert page.get_by_role("table", name="Places et réponses").is_visible()
    screenshot(page, f"panels-drawn-{width}")
    assert db.session.query(PanelSeat).count() == 8
    page.get_by_role("link", name="Probabilités de sélection publiées").click()
    assert page.get_by_text("7 12 23 31 40 44").first.is_visible()
    screenshot(page, f"panels-transparency-{width}")


def test_panellist_sees_sessions_documents_and_answers_the_questionnaire(
    live_server, page, screenshot, make_project, add_volunteers, organiser, now, make_consultation
):
    from datetime import timedelta

    from consult.panels import services

    consultation = make_consultation(
        populations_invited=("citizen",),
        questions=[("open", "Qu’attendez-vous d’une mutuelle\u00a0?")],
    )
    project = make_project(panels=(("Nantes", 2),))
    project.consultation_id = consultation.id
    add_volunteers(project, PROFILES)
    services.commit_main_draw(organiser, project, now=now)
    seat, _ = services.perform_draw(organiser, project, "5 5 5", now=now)[0]
    services.answer_invitation(seat, True, now=now)
    services.add_session(
        organiser,
        seat.panel,
        starts_at=now + timedelta(days=10),
        place="Maison des associations, Nantes",
        agenda="Première rencontre",
        now=now,
    )
    services.add_document(
        organiser,
        project,
        title="Dossier du participant",
        url="https://example.org/dossier.pdf",
        summary="Ce que fait la mutuelle, en 8 pages.",
        now=now,
    )
    services.set_questionnaire_open(organiser, project, True, now=now)
    seat.volunteer.user.set_password("correct-horse-battery")
    db.session.commit()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Adresse e-mail").fill(seat.volunteer.email)
    page.get_by_label("Mot de passe").fill("correct-horse-battery")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Mon panel").click()
    page.get_by_role("link", name="Nantes").click()
    assert page.get_by_text("Maison des associations, Nantes").is_visible()
    assert page.get_by_role("link", name="Dossier du participant").is_visible()
    assert page.get_by_text("Je n’ai pas encore répondu.").is_visible()
    screenshot(page, "panels-panel-page")
    page.get_by_role("link", name="Répondre au questionnaire de clôture").click()
    page.get_by_label("Très satisfait·e").check()
    page.get_by_role("group", name="Souhaitez-vous participer à la suite\u00a0?").get_by_label(
        "Oui"
    ).check()
    page.get_by_label("Quelques mots").fill("écoute, partage")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    assert page.get_by_role("status").filter(has_text="Merci pour vos réponses").count()
    assert services.questionnaire_results(project).respondents == 1


def test_a_refused_volunteer_form_at_320_px(live_server, page, make_project):
    """The focus moves to the error summary, which lists the fields in the form's order;
    consent checkboxes stay large; nothing overflows a 320 px screen."""
    project = make_project()
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/panels/{project.id}/volunteer")
    page.get_by_label("Prénom").fill("Claire")
    page.get_by_role("button", name="Me porter volontaire").click()
    page.wait_for_load_state()
    focused = page.evaluate("() => document.activeElement.className")
    assert focused == "error-summary"
    targets = page.locator(".error-summary a").evaluate_all(
        "links => links.map(a => a.getAttribute('href').slice(1))"
    )
    order = page.locator("main form [id]").evaluate_all("nodes => nodes.map(n => n.id)")
    positions = [order.index(t) for t in targets if t in order]
    assert len(positions) == len(targets) > 1 and positions == sorted(positions)
    for box in page.locator("main input[type=checkbox]").all():
        size = box.bounding_box()
        assert size["width"] >= 18 and size["height"] >= 18
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
