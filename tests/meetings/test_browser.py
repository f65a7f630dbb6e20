"""In headless Chromium: a member registers for a meeting; an organiser's pages; axe-core."""

from datetime import timedelta

import pytest

from consult.extensions import db
from consult.meetings import channel, minutes, registration
from consult.meetings.models import MeetingQuestion

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_a_member_registers_for_a_meeting(
    sign_in, live_server, page, screenshot, axe, sign_out, make_user, make_meeting, width
):
    meeting = make_meeting(
        title="Agora de Nantes — la santé en 2040", capacity=1, region="Pays de la Loire"
    )
    db.session.add(
        MeetingQuestion(
            meeting_id=meeting.id,
            kind="single",
            prompt="Resterez-vous pour le repas partagé ?",
            choices=["Oui", "Non"],
            max_words=3,
        )
    )
    db.session.commit()
    first, second = make_user(), make_user()
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"{live_server.url}/meetings")
    axe.check(page, "meetings list")
    screenshot(page, f"meetings-list-{width}")
    page.get_by_role("link", name="Agora de Nantes — la santé en 2040").click()
    assert page.get_by_role("link", name="Se connecter pour s’inscrire").is_visible()

    sign_in(page, first)
    page.goto(f"{live_server.url}/meetings/{meeting.id}")
    page.get_by_role("button", name="M’inscrire").click()
    assert page.get_by_role("alert").filter(has_text="Choisissez une réponse").is_visible()
    axe.check(page, "refused registration")
    page.get_by_label("Oui").check()
    page.get_by_role("button", name="M’inscrire").click()
    assert page.get_by_role("status").filter(has_text="votre place est réservée").is_visible()
    assert page.get_by_text("place n° 1").is_visible()
    axe.check(page, "registered")
    screenshot(page, f"meeting-registered-{width}")
    assert page.get_by_role("link", name="Ajouter à mon agenda (.ics)").is_visible()

    sign_out(page)
    sign_in(page, second)
    page.goto(f"{live_server.url}/meetings/{meeting.id}")
    page.get_by_label("Non").check()
    page.get_by_role("button", name="M’inscrire sur la liste d’attente").click()
    assert page.get_by_role("status").filter(has_text="liste d’attente").is_visible()
    screenshot(page, f"meeting-waiting-{width}")
    phone_menu = page.locator("header details.nav-phone > summary")
    if phone_menu.is_visible():  # on a phone the areas sit in the "Menu" disclosure
        phone_menu.click()
    page.get_by_role("link", name="Mes inscriptions").click()
    assert page.get_by_text("Agora de Nantes").is_visible()
    axe.check(page, "my registrations")
    screenshot(page, f"my-registrations-{width}")


def test_organiser_pages_pass_axe(
    sign_in, live_server, page, screenshot, axe, make_user, make_meeting, make_consultation, now
):
    consultation = make_consultation()
    organiser = make_user(roles=("organiser",))
    past = make_meeting(
        title="Agora de Toulouse", starts_in=timedelta(hours=-3), consultation_id=consultation.id
    )
    upcoming = make_meeting(title="Rendez-vous mensuel", starts_in=timedelta(days=2))
    people = [make_user() for _ in range(3)]
    for person in people:
        registration.register(person, upcoming, answers={}, now=now)
        registration.register(person, past, answers={}, now=past.starts_at - timedelta(days=2))
    registrants = registration.registrants(past)
    registration.record_attendance(organiser, past, {registrants[0].id}, now=past.starts_at)
    minutes.save_minutes(organiser, past, body="<p>Trois tables.</p>", visibility="public", now=now)
    minutes.move_minutes(organiser, past, "approve", now=now)
    minutes.move_minutes(organiser, past, "publish", now=now)
    channel.record_contribution(
        organiser,
        past,
        question_id=consultation.questions[0].id,
        text="Rester proches.",
        registration_id=registrants[0].id,
        population_id=None,
        gender_form="n",
        age_band=None,
        region_id=None,
        now=now,
    )
    past.attendance_code = "K7PQ2M"
    db.session.commit()
    sign_in(page, organiser)
    for path, name in [
        ("/meetings/manage", "manage-index"),
        (f"/meetings/manage/{past.id}", "manage-meeting"),
        (f"/meetings/manage/{upcoming.id}", "manage-upcoming"),
        ("/meetings/manage/new", "manage-new"),
        (f"/meetings/manage/{upcoming.id}/edit", "manage-edit"),
        (f"/meetings/manage/{upcoming.id}/cancel", "manage-cancel"),
        (f"/meetings/manage/{past.id}/minutes", "manage-minutes"),
        (f"/meetings/manage/{past.id}/contributions", "manage-contributions"),
        (f"/meetings/manage/{past.id}/code", "manage-code"),
        (f"/meetings/{past.id}", "meeting-past"),
        (f"/meetings/{past.id}/minutes", "meeting-minutes"),
        ("/meetings?when=past", "meetings-past"),
    ]:
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            axe.check(page, path)
            screenshot(page, f"{name}-{width}")
