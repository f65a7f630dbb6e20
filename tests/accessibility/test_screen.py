"""What a person sees on a phone (390 px) and a desktop (1280 px), in headless Chromium: the
message after a successful submit is in view and announced, moderation status badges stay on one
line, and the overview's day column does not wrap."""

from datetime import timedelta

import pytest

from consult.consultations import services as consultations
from consult.extensions import db

pytestmark = pytest.mark.browser

WIDTHS = pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])

#: The success message's box, the viewport's height, whether it holds the focus, its role.
MESSAGE = """() => {
  const flash = document.querySelector("main .flash-success");
  if (!flash) return null;
  const box = flash.getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, viewport: window.innerHeight,
          focused: flash.closest(".flashes").contains(document.activeElement),
          role: flash.getAttribute("role"), text: flash.textContent.trim()};
}"""

#: For each element matching the selector: its text, its height, its line height, its line boxes.
LINES = """(selector) => [...document.querySelectorAll(selector)].map((element) => {
  const style = getComputedStyle(element);
  return {text: element.textContent.trim(), height: element.getBoundingClientRect().height,
          line: parseFloat(style.lineHeight), padding: parseFloat(style.paddingTop)
            + parseFloat(style.paddingBottom) + parseFloat(style.borderTopWidth)
            + parseFloat(style.borderBottomWidth),
          boxes: element.getClientRects().length};
})"""


def _in_view_and_announced(page, expected):
    message = page.evaluate(MESSAGE)
    assert message is not None, "no success message on the page"
    assert expected in message["text"]
    assert 0 <= message["top"] and message["bottom"] <= message["viewport"], message
    assert message["role"] == "status" and message["focused"], message


def _one_line(rows):
    """Each element is a single line box no taller than one line plus its padding and border."""
    assert rows
    for row in rows:
        assert row["boxes"] == 1, row
        assert row["height"] <= row["line"] * 1.2 + row["padding"], row


@WIDTHS
def test_a_saved_answer_far_down_the_page_is_confirmed_in_view(
    sign_in, live_server, page, make_user, make_consultation, width
):
    questions = [
        ("open", f"Question {n}\u00a0: qu’attendez-vous de la mutuelle\u00a0?") for n in range(6)
    ]
    make_consultation(questions=questions)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, make_user())
    page.get_by_role("link", name="Notre raison d'être", exact=True).first.click()
    last = page.locator("section.question").last
    last.get_by_label("Votre réponse").fill("Qu’elle m’aide à prévenir plutôt qu’à guérir.")
    last.get_by_role("button", name="Enregistrer ma réponse").click()
    page.wait_for_url("**#q*")
    assert page.evaluate("() => window.scrollY") > 0  # the page came back far from its top
    _in_view_and_announced(page, "Votre réponse est enregistrée")


@WIDTHS
def test_a_saved_profile_is_confirmed_in_view(sign_in, live_server, page, make_user, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, make_user())
    page.goto(f"{live_server.url}/profile")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_load_state()
    _in_view_and_announced(page, "Votre profil est enregistré")


@WIDTHS
def test_moderation_status_badges_stay_on_one_line(
    sign_in, live_server, page, make_user, make_consultation, now, width
):
    consultation = make_consultation()
    consultation.moderation_mode = "pre"
    db.session.commit()
    for text in ("La solidarité avant tout.", "Plus de prévention, moins de papier."):
        consultations.answer(make_user(), consultation.questions[0], text=text, now=now)
        db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, make_user(roles=("moderator",)))
    page.goto(f"{live_server.url}/moderation/")
    badges = page.evaluate(LINES, "main table .badge")
    assert [badge["text"] for badge in badges] == ["En attente de modération"] * 2
    _one_line(badges)


@WIDTHS
def test_the_overview_day_column_does_not_wrap(
    sign_in, live_server, page, make_user, make_consultation, make_contribution, now, width
):
    consultation = make_consultation(opens_at=now - timedelta(days=9))
    for day in range(8):
        when = now - timedelta(days=day, hours=1)
        make_contribution(consultation.questions[0], make_user(), when=when)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, make_user(roles=("analyst",)))
    page.goto(f"{live_server.url}/analysis/consultations/{consultation.id}")
    days = page.evaluate(LINES, ".table-days th[scope=row]")
    assert len(days) >= 8 and all(day["text"].count(" ") == 2 for day in days)  # "12 sept. 2026"
    _one_line(days)
