"""The pages of this issue in Chromium at 390 and 1280 px, each checked with axe-core (WCAG 2.1
A/AA), in French and in English: results, legal pages, my data, retention, notifications,
answering every question, the home page."""

from datetime import timedelta

import pytest

from consult.analysis import services as analysis
from consult.extensions import db
from consult.notifications import services as notifications
from consult.results import services as results

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app, make_user, make_consultation, make_contribution, now):
    """A closed consultation with published results, an open one, and people."""
    closed = make_consultation(
        title="Baromètre 2026",
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=1),
        populations_invited=("member", "employee"),
        eligible=10,
        questions=[("open", "Qu’attendez-vous de votre mutuelle ?"), ("words", "En trois mots ?")],
    )
    open_one = make_consultation(
        title="Notre raison d’être",
        questions=[
            ("open", "Pourquoi notre mutuelle existe-t-elle ?"),
            ("words", "En trois mots ?"),
            ("single", "Votre priorité ?", ["La santé", "Le prix"]),
        ],
    )
    member = make_user(email="adherente@example.org", roles=("participant",))
    quoted = make_contribution(closed.questions[0], member, body="<p>La solidarité avant tout.</p>")
    make_contribution(closed.questions[1], member, body="santé, solidarité, écoute")
    make_contribution(open_one.questions[0], member, body="<p>Pour protéger.</p>")
    analyst = make_user(email="analyste@example.org", roles=("analyst",))
    make_user(email="orga@example.org", roles=("organiser",))
    finding = analysis.save_finding(
        analyst,
        closed,
        None,
        title="La solidarité d’abord",
        text="Un fil rouge.",
        topic_ids=[],
        now=now,
    )
    analysis.add_quote(analyst, finding, quoted, max_length=None, now=now)
    with app.test_request_context():
        results.publish(analyst, closed, now=now)
        notifications.consultation_opened(open_one, now=now)
    db.session.commit()
    return closed, open_one


def _look(page, axe, screenshot, path, name):
    """Open a page, check it with axe, and keep a screenshot at phone and desktop widths."""
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(path)
        page.wait_for_load_state()
        axe.check(page, name)
        screenshot(page, f"rights-{name}-{width}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_new_pages_pass_axe_at_both_widths(
    sign_in, live_server, page, site, axe, screenshot, sign_out, lang
):
    closed, open_one = site
    base = live_server.url
    page.goto(f"{base}/")
    if lang == "en":
        page.click("button[name=lang][value=en]")
        page.wait_for_load_state()
    suffix = f"{lang}"
    for path, name in (
        ("/legal-notice", "legal"),
        ("/personal-data", "personal-data"),
        ("/accessibility", "accessibility"),
    ):
        _look(page, axe, screenshot, f"{base}{path}", f"{name}-{suffix}")
    sign_in(page, "adherente@example.org")
    for path, name in (
        ("/", "home"),
        (f"/results/{closed.id}", "results"),
        ("/results/", "results-list"),
        (f"/consultations/{open_one.id}/answer-all", "answer-all"),
        ("/my/data", "my-data"),
        ("/notifications/", "notifications"),
        ("/notifications/settings", "notification-settings"),
    ):
        _look(page, axe, screenshot, f"{base}{path}", f"{name}-{suffix}")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/consultations/{open_one.id}/answer-all")
    page.fill("textarea", "")
    page.fill("input[type=text][name^=answer]", "un deux trois quatre cinq")
    page.click("form.answer-all button[type=submit]")
    page.wait_for_load_state()
    axe.check(page, "answer-all with errors")
    screenshot(page, f"rights-answer-all-errors-{suffix}")
    sign_out(page)
    sign_in(page, "orga@example.org")
    _look(page, axe, screenshot, f"{base}/organise/retention", f"retention-{suffix}")
    _look(page, axe, screenshot, f"{base}/results/{closed.id}", f"results-staff-{suffix}")
