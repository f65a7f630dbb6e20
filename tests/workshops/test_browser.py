"""In headless Chromium: two co-authors write a story, one meets a conflict, a reader comments."""

import pytest

from consult.extensions import db

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_co_writing_a_story(sign_in, browser, live_server, screenshot, axe, make_workshop, width):
    workshop = make_workshop(phase="write")
    story = workshop.groups[0].story
    first, second = workshop.authors[:2]
    base = live_server.url
    edit_url = f"{base}/workshops/{workshop.id}/stories/{story.id}/edit"

    contexts = [
        browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
        for _ in range(2)
    ]
    one, two = (c.new_page() for c in contexts)
    try:
        sign_in(one, first)
        sign_in(two, second)
        one.goto(edit_url)
        two.goto(edit_url)  # both start from the empty story
        axe.check(one, "edit")
        one.get_by_label("Titre").fill("Le quartier qui soigne")
        one.get_by_label("Le récit").fill(
            "En 2040, Lucie ouvre sa porte au médecin du quartier.\n\n"
            "La mutuelle a payé la rénovation de la maison de santé."
        )
        one.get_by_role("button", name="Enregistrer une nouvelle version").click()
        assert one.get_by_role("status").filter(has_text="Version enregistrée").is_visible()
        axe.check(one, "story")
        screenshot(one, f"workshop-story-{width}")

        two.get_by_label("Titre").fill("Mon titre")
        two.get_by_label("Le récit").fill("Un tout autre début.")
        two.get_by_role("button", name="Enregistrer une nouvelle version").click()
        assert (
            two.get_by_role("alert")
            .filter(has_text="Quelqu’un a enregistré la version 1")
            .is_visible()
        )
        assert two.get_by_text("La mutuelle a payé").is_visible()
        axe.check(two, "conflict")
        screenshot(two, f"workshop-conflict-{width}")
        two.get_by_label("Le récit", exact=False).fill(
            "En 2040, Lucie ouvre sa porte au médecin du quartier.\n\n"
            "La mutuelle a financé la rénovation de la maison de santé.\n\nUn tout autre début."
        )
        two.get_by_role("button", name="Enregistrer une nouvelle version").click()
        assert two.get_by_role("status").filter(has_text="Version enregistrée").is_visible()
        two.get_by_role("link", name="Versions et modifications").click()
        assert two.locator("del").filter(has_text="payé").count() == 1
        axe.check(two, "history")
        screenshot(two, f"workshop-diff-{width}")

        workshop.phase = "comment"
        db.session.commit()
        two.goto(f"{base}/workshops/{workshop.id}/stories/{story.id}")
        row = two.locator("#p1")
        row.get_by_text("Commenter ce paragraphe").click()
        row.get_by_label("Ça m’inquiète").check()
        row.get_by_label("Votre commentaire").fill("Qui décide de ces travaux ?")
        row.get_by_role("button", name="Envoyer").click()
        assert two.get_by_text("Qui décide de ces travaux ?").is_visible()
        axe.check(two, "comments")
        screenshot(two, f"workshop-comments-{width}")
    finally:
        for context in contexts:
            context.close()
