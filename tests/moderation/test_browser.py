"""Headless Chromium: no hostile contribution runs script on any page, and the pages look right.

The browser context bypasses the Content-Security-Policy on purpose: the CSP is a second line of
defence, and this test checks the first one (the sanitiser and escaping) on its own. A control
alert at the end proves the dialog listener would have seen a script that ran.
"""

import pytest

from consult.consultations import services as consultations
from consult.extensions import db
from consult.moderation import services
from consult.moderation.models import ModerationStatus

from .hostile import HOSTILE_INPUTS
from .samples import NIR_TEXT, PHONE_TEXT

pytestmark = pytest.mark.browser


@pytest.fixture
def hostile_site(make_user, consultation_in, moderator, now):
    """Every payload posted (after a few words) to a post-moderated consultation."""
    consultation = consultation_in("post")
    question = consultation.questions[0]
    items = []
    for index, payload in enumerate(HOSTILE_INPUTS):
        author = make_user(email=f"b{index}@example.org")
        items.append(
            consultations.answer(author, question, text=f"Avis {index} : {payload}", now=now)
        )
        db.session.commit()
    for text in (NIR_TEXT, PHONE_TEXT):
        consultations.answer(make_user(), question, text=text, now=now)
        db.session.commit()
    return question, items


def test_no_payload_runs_in_chromium(
    sign_in, browser, live_server, hostile_site, moderator, make_user, now
):
    """Public pages, queue, item pages, author page: zero dialogs, zero page errors."""
    question, items = hostile_site
    # Hide one and reject one, so the moderator and author pages show reasons too.
    for contribution, action in ((items[0], "hide"), (items[1], "hide")):
        status = db.session.get(ModerationStatus, contribution.id)
        services.decide(
            moderator,
            contribution,
            action,
            expected_version=status.version,
            reason_code="other",
            reason_text=HOSTILE_INPUTS[0],
            now=now,
        )
        db.session.commit()
    reader = make_user(email="lecteur@example.org")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    dialogs, errors = [], []
    context.on("page", lambda p: None)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = live_server.url
    try:
        sign_in(page, reader)
        pages = (len(items) + 19) // 20
        for number in range(1, pages + 1):
            page.goto(f"{base}/questions/{question.id}/contributions?page={number}")
            page.wait_for_load_state("load")
        page.goto(f"{base}/moderation/flag/{items[5].id}")
        page.context.clear_cookies()
        sign_in(page, moderator)
        for number in (1, 2, 3):
            page.goto(f"{base}/moderation/?state=&page={number}")
            page.wait_for_load_state("load")
        for contribution in items[::7]:
            page.goto(f"{base}/moderation/items/{contribution.id}")
            page.wait_for_load_state("load")
        page.context.clear_cookies()
        author = items[0].author
        sign_in(page, author)
        page.goto(f"{base}/moderation/mine")
        page.wait_for_timeout(300)
        assert dialogs == [], dialogs
        assert errors == [], errors
        # Control: a script that does run is seen by the listener.
        page.evaluate("() => alert('control')")
        assert dialogs == ["control"]
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_moderation_pages_look_right(
    sign_in,
    browser,
    live_server,
    screenshot,
    moderator,
    author,
    make_user,
    post_consultation,
    now,
    width,
):
    """Screenshots of the queue and an item at phone and desktop widths, without overflow."""
    question = post_consultation.questions[0]
    first = consultations.answer(author, question, text=NIR_TEXT, now=now)
    db.session.commit()
    for text in ("La solidarité avant tout.", PHONE_TEXT, "Plus de prévention, moins de papier."):
        consultations.answer(make_user(), question, text=text, now=now)
        db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, moderator)
        for name, url in (
            ("queue", "/moderation/"),
            ("item", f"/moderation/items/{first.id}"),
            ("suspensions", "/moderation/suspensions"),
        ):
            page.goto(live_server.url + url)
            screenshot(page, f"moderation-{name}-{width}")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (name, overflow)
            assert page.locator("h1").count() == 1
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_participant_and_admin_pages_look_right(
    sign_in,
    browser,
    live_server,
    screenshot,
    moderator,
    admin,
    organiser,
    author,
    make_user,
    post_consultation,
    now,
    width,
):
    """Screenshots of the author's, flag, settings and log pages, without overflow."""
    question = post_consultation.questions[0]
    rejected = consultations.answer(author, question, text=PHONE_TEXT, now=now)
    db.session.commit()
    status = db.session.get(ModerationStatus, rejected.id)
    services.decide(
        moderator,
        rejected,
        "reject",
        expected_version=status.version,
        reason_code="personal_data",
        reason_text="Retirez votre numéro, merci.",
        now=now,
    )
    other = consultations.answer(make_user(), question, text="Plus de prévention.", now=now)
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    visits = (
        (author, "mine", "/moderation/mine"),
        (author, "resubmit", f"/moderation/mine/{rejected.id}/edit"),
        (author, "flag", f"/moderation/flag/{other.id}"),
        (organiser, "settings", "/moderation/settings"),
        (admin, "audit", "/moderation/audit"),
    )
    try:
        for user, name, url in visits:
            page.context.clear_cookies()
            sign_in(page, user)
            page.goto(live_server.url + url)
            screenshot(page, f"moderation-{name}-{width}")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (name, overflow)
            assert page.locator("h1").count() == 1
    finally:
        context.close()
