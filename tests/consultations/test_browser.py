"""A participant, in headless Chromium, answers a question and finds it in "my contributions"."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_participant_answers_and_finds_the_answer(
    sign_in, live_server, page, screenshot, make_user, make_consultation, width
):
    make_consultation(
        questions=[
            ("open", "Selon vous, pourquoi notre mutuelle existe-t-elle\u00a0?"),
            ("words", "En un à trois mots, que signifie la santé pour vous\u00a0?"),
        ]
    )
    user = make_user(email="claire@example.org")
    page.set_viewport_size({"width": width, "height": 900})

    sign_in(page, user)

    page.get_by_role("link", name="Notre raison d'être", exact=True).first.click()
    question = page.locator("section.question").first
    question.get_by_label("Votre réponse").fill(
        "Pour que personne ne renonce à se soigner, quelle que soit sa situation."
    )
    question.get_by_role("button", name="Enregistrer ma réponse").click()
    assert page.get_by_role("status").filter(has_text="Votre réponse est enregistrée").count()
    screenshot(page, f"consultation-answered-{width}")

    if width < 900:  # phones: the navigation is folded into the Menu
        page.locator("summary", has_text="Menu").click()
    page.get_by_role("link", name="Mes contributions").click()
    assert page.get_by_text("personne ne renonce à se soigner").is_visible()
    assert page.get_by_text("Adhérente, 40-60 ans, Occitanie").is_visible()
    screenshot(page, f"my-contributions-{width}")


def test_an_empty_answer_is_refused_with_a_message(
    sign_in, live_server, page, make_user, make_consultation
):
    make_consultation()
    user = make_user()
    sign_in(page, user)
    page.get_by_role("link", name="Notre raison d'être", exact=True).first.click()
    page.get_by_role("button", name="Enregistrer ma réponse").click()
    assert page.get_by_role("alert").filter(has_text="Votre réponse est vide").is_visible()
