"""Meetings pages: who may open what, registering through the form, bad input."""

from datetime import timedelta

import pytest

from consult.extensions import db
from consult.meetings.models import Meeting, Registration
from tests.conftest import EVERY_ROLE

ORGANISER = ("organiser",)


def _routes(meeting_id):
    return [
        ("/meetings", None),
        (f"/meetings/{meeting_id}", None),
        (f"/meetings/{meeting_id}.ics", None),
        ("/meetings/mine", ()),
        ("/meetings/manage", ORGANISER),
        ("/meetings/manage/new", ORGANISER),
        (f"/meetings/manage/{meeting_id}", ORGANISER),
        (f"/meetings/manage/{meeting_id}/edit", ORGANISER),
        (f"/meetings/manage/{meeting_id}/cancel", ORGANISER),
        (f"/meetings/manage/{meeting_id}/contributions", ORGANISER),
        (f"/meetings/manage/{meeting_id}/minutes", ORGANISER),
    ]


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_permission_matrix(client, sign_in_as, check_access, make_meeting, role):
    meeting = make_meeting()
    sign_in_as(role)
    for path, allowed in _routes(meeting.id):
        check_access(client.get(path), role, allowed, path)
    for path in (
        f"/meetings/manage/{meeting.id}/publish",
        f"/meetings/manage/{meeting.id}/attendance",
        f"/meetings/manage/{meeting.id}/code",
        f"/meetings/manage/{meeting.id}/minutes/approve",
    ):
        check_access(client.post(path), role, ORGANISER, path)
    for path in (f"/meetings/{meeting.id}/register", f"/meetings/{meeting.id}/unregister"):
        check_access(client.post(path), role, (), path, ok=(200, 302, 303, 422))


def test_drafts_are_hidden_from_everyone_but_organisers(client, sign_in_as, make_meeting):
    draft = make_meeting(status="draft")
    assert client.get(f"/meetings/{draft.id}").status_code == 404
    sign_in_as("participant")
    assert client.get(f"/meetings/{draft.id}").status_code == 404
    assert draft.title not in client.get("/meetings").get_data(as_text=True)


def test_public_list_filters_by_kind_region_and_time(client, make_meeting):
    make_meeting(title="Agora occitane", kind="agora", region="Occitanie")
    make_meeting(title="Point mensuel des salariés", kind="internal", region="Bretagne")
    make_meeting(title="Agora passée", starts_in=timedelta(days=-3))
    page = client.get("/meetings?kind=agora").get_data(as_text=True)
    assert "Agora occitane" in page and "Point mensuel des salariés<" not in page
    assert "Agora passée" not in page
    from consult.accounts.models import Region

    brittany = db.session.query(Region).filter_by(name="Bretagne").one()
    page = client.get(f"/meetings?region={brittany.id}").get_data(as_text=True)
    assert "Point mensuel des salariés<" in page and "Agora occitane" not in page
    assert "Agora passée" in client.get("/meetings?when=past").get_data(as_text=True)
    assert client.get("/meetings?kind=<script>&region=abc&page=-4").status_code == 200


def test_register_then_waiting_list_and_calendar(client, make_user, login, make_meeting):
    meeting = make_meeting(capacity=1, format="hybrid", online_url="https://visio.example/agora")
    first, second = make_user(), make_user()
    login(client, first)
    assert client.post(f"/meetings/{meeting.id}/register").status_code == 302
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "https://visio.example/agora" in page
    ics = client.get(f"/meetings/{meeting.id}.ics")
    assert ics.headers["Content-Type"].startswith("text/calendar")
    import icalendar

    event = icalendar.Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert str(event["summary"]) == "Agora de Toulouse"
    assert event.decoded("dtstart").replace(tzinfo=None) == meeting.starts_at
    assert "visio.example" in str(event["description"])
    client.post("/logout")
    login(client, second)
    client.post(f"/meetings/{meeting.id}/register")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "visio.example/agora" not in page
    assert "visio.example" not in client.get(f"/meetings/{meeting.id}.ics").get_data(as_text=True)
    mine = client.get("/meetings/mine").get_data(as_text=True)
    assert "Agora de Toulouse" in mine


def test_bad_registration_answer_is_refused_in_french_and_changes_nothing(
    client, make_user, login, make_meeting, table_counts, now
):
    from consult.meetings.models import MeetingQuestion

    meeting = make_meeting()
    db.session.add(
        MeetingQuestion(
            meeting_id=meeting.id, kind="words", prompt="Trois mots", max_words=2, choices=[]
        )
    )
    db.session.commit()
    login(client, make_user())
    before = table_counts()
    question_id = db.session.query(MeetingQuestion).one().id
    response = client.post(
        f"/meetings/{meeting.id}/register", data={f"q{question_id}": "un deux trois"}
    )
    assert response.status_code == 422
    assert "au plus 2" in response.get_data(as_text=True)
    assert table_counts() == before


def test_organiser_creates_with_bad_input_then_good(
    client, make_user, login, reference_data, now, table_counts
):
    populations, _regions = reference_data
    login(client, make_user(roles=ORGANISER))
    start = (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": "Rendez-vous des salariés",
        "kind": "internal",
        "format": "online",
        "online_url": "ftp://visio",
        "starts_at": start,
        "ends_at": start,
        "populations": [populations["employee"].id],
        "region_id": "",
        "consultation_id": "",
        "panel_id": "",
        "mission_session_id": "",
    }
    before = table_counts()
    response = client.post("/meetings/manage/new", data=data)
    assert response.status_code == 422
    assert "https://" in response.get_data(as_text=True)
    assert table_counts() == before
    data["online_url"] = "https://visio.example/rdv"
    response = client.post("/meetings/manage/new", data=data)
    assert response.status_code == 422
    assert "après" in response.get_data(as_text=True)
    data["ends_at"] = (now + timedelta(days=5, hours=1)).strftime("%Y-%m-%dT%H:%M")
    data["capacity"] = "-3"
    assert client.post("/meetings/manage/new", data=data).status_code == 422
    data["capacity"] = "150"
    response = client.post("/meetings/manage/new", data=data)
    assert response.status_code == 302
    meeting = db.session.query(Meeting).one()
    assert (meeting.capacity, meeting.format, meeting.status) == (150, "online", "draft")
    assert client.post(f"/meetings/manage/{meeting.id}/publish").status_code == 302
    assert db.session.get(Meeting, meeting.id).status == "published"


def test_check_in_with_the_room_code(client, make_user, login, make_meeting, now):
    meeting = make_meeting(starts_in=timedelta(minutes=-10))
    meeting.attendance_code = "K7PQ2M"
    db.session.commit()
    person = make_user()
    login(client, person)
    response = client.post(f"/meetings/{meeting.id}/check-in", data={"code": "NOPE"})
    assert response.status_code == 422
    assert "pas celui" in response.get_data(as_text=True)
    assert (
        client.post(f"/meetings/{meeting.id}/check-in", data={"code": "k7pq2m"}).status_code == 302
    )
    row = db.session.query(Registration).one()
    assert (row.status, row.attendance_method) == ("walk_in", "code")
