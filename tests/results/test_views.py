"""Published results and public consultations: permissions, publication, figures, visitors."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.analysis import services as analysis
from consult.core.models import AuditEvent
from consult.extensions import db
from consult.results import services
from consult.results.models import ResultsPublication
from tests.conftest import EVERY_ROLE


@pytest.fixture
def closed(make_consultation, make_user, make_contribution, now):
    """A closed consultation of members and employees, answered, with a quoted finding."""
    consultation = make_consultation(
        title="Baromètre 2026",
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=1),
        populations_invited=("member", "employee"),
        eligible=10,
        questions=[("open", "Pourquoi ?"), ("words", "En trois mots ?")],
    )
    first = make_contribution(
        consultation.questions[0], make_user(), body="<p>La solidarité avant tout</p>"
    )
    make_contribution(consultation.questions[1], make_user(), body="santé, solidarité")
    make_contribution(
        consultation.questions[1], make_user(population="employee"), body="santé, écoute"
    )
    finding = analysis.save_finding(
        None,
        consultation,
        None,
        title="La solidarité d'abord",
        text="<p>Un texte</p>",
        topic_ids=[],
        now=now,
    )
    analysis.add_quote(None, finding, first, max_length=None, now=now)
    db.session.commit()
    return consultation


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_permission_matrix(client, closed, role, sign_in_as, check_access, table_counts):
    """Publishing is for analysts, visibility for organisers; the page for those concerned."""
    user = sign_in_as(role, population="employee") if role else None
    c = closed.id
    for path, allowed in (
        (f"/results/{c}/publish", ("analyst",)),
        (f"/results/{c}/withdraw", ("analyst",)),
        (f"/results/{c}/visibility", ("organiser",)),
    ):
        before = table_counts()
        response = client.post(path, data={"public": "0"})
        check_access(response, role, allowed, path)
        if role not in (*allowed, "administrator"):
            assert table_counts() == before
    # before publication the page is a preview for staff only
    status = client.get(f"/results/{c}").status_code
    expected = {None: 302, "analyst": 200, "organiser": 200, "administrator": 200}
    assert status == expected.get(role, 404), (role, status)
    assert client.get("/results/").status_code == 200
    assert user is None or user.is_authenticated


def test_analysts_publish_and_people_concerned_read(
    client, closed, sign_in_as, make_user, login, now
):
    """Before publication a member gets a 404; after, they read the band and the quote."""
    member = make_user()
    outsider = make_user(population="delegate")
    login(client, member)
    assert client.get(f"/results/{closed.id}").status_code == 404
    client.post("/logout")
    sign_in_as("analyst")
    preview = client.get(f"/results/{closed.id}").get_data(as_text=True)
    assert "Aperçu" in preview or "Preview" in preview
    assert client.post(f"/results/{closed.id}/publish").status_code == 303
    publication = db.session.get(ResultsPublication, closed.id)
    assert publication.figures == {
        "contributions": 3,
        "participants": 3,
        "internal_rate": [1, 10],
        "distinct_words": 3,
    }
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.publish"))
    client.post("/logout")
    login(client, member)
    page = client.get(f"/results/{closed.id}").get_data(as_text=True)
    assert "La solidarité d&#39;abord" in page and "La solidarité avant tout" in page
    assert "10\u00a0%" in page or "10\u202f%" in page
    assert "Adhérente, 40-60 ans, Occitanie" in page
    assert f'href="/results/{closed.id}"' in client.get(f"/consultations/{closed.id}").get_data(
        as_text=True
    )
    client.post("/logout")
    login(client, outsider)
    assert client.get(f"/results/{closed.id}").status_code == 404


def test_publication_refused_while_open_or_without_finding(
    client, make_consultation, sign_in_as, now
):
    """An open consultation, or one without a finding, cannot be published: a clear message."""
    open_one = make_consultation()
    sign_in_as("analyst")
    assert client.post(f"/results/{open_one.id}/publish").status_code == 303
    page = client.get(f"/results/{open_one.id}").get_data(as_text=True)
    assert "une fois la consultation close" in page
    finished = make_consultation(
        opens_at=now - timedelta(days=5), closes_at=now - timedelta(days=1)
    )
    client.post(f"/results/{finished.id}/publish")
    assert "au moins un enseignement" in client.get(f"/results/{finished.id}").get_data(
        as_text=True
    )
    assert db.session.scalar(select(ResultsPublication)) is None
    assert client.post("/results/999/publish").status_code == 404


def test_visitors_read_a_public_consultation_only(client, closed, sign_in_as, now):
    """Private: visitors are sent to sign in. Public: consultation, contributions and results."""
    analyst = sign_in_as("analyst")
    with client.application.test_request_context():
        services.publish(analyst, closed, now=now)
    db.session.commit()
    client.post("/logout")
    question = closed.questions[0].id
    for path in (
        f"/consultations/{closed.id}",
        f"/questions/{question}/contributions",
        f"/results/{closed.id}",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), (
            path
        )
    sign_in_as("organiser")
    assert client.post(f"/results/{closed.id}/visibility", data={"public": "1"}).status_code == 303
    assert (
        client.post(f"/results/{closed.id}/visibility", data={"public": "maybe"}).status_code == 400
    )
    client.post("/logout")
    assert "La solidarité avant tout" in client.get(
        f"/questions/{question}/contributions"
    ).get_data(as_text=True)
    assert client.get(f"/consultations/{closed.id}").status_code == 200
    assert "Baromètre 2026" in client.get("/results/").get_data(as_text=True)
    assert client.post(f"/contributions/{closed.id}/react", data={"value": 1}).status_code == 302


def test_deleting_an_account_leaves_published_figures_alone(app, closed, make_user, now):
    """The band is frozen at publication, and the live figures are unchanged by a deletion."""
    from consult.consultations.models import Contribution
    from consult.privacy.erasure import delete_account

    analyst = make_user(roles=("analyst",))
    with app.test_request_context():
        frozen = dict(services.publish(analyst, closed, now=now).figures)
    words = closed.questions[1]
    someone = db.session.scalar(
        select(Contribution).where(Contribution.question_id == words.id)
    ).author
    delete_account(someone, someone, now=now)
    db.session.commit()
    assert services.compute_figures(closed) == frozen
    assert db.session.get(ResultsPublication, closed.id).figures == frozen


def test_the_band_counts_the_consultation_s_panellists_and_who_wants_to_continue(
    closed, make_seat, now
):
    """Panellists are the accepted seats of the panels drawn for this consultation (not another
    one's); the share is of those who answered the closing questionnaire."""
    from consult.panels.models import Panel, PanelDraw, PanelProject, QuestionnaireResponse

    assert "panellists" not in services.compute_figures(closed)
    projects = []
    for consultation_id in (closed.id, None):
        project = PanelProject(title="Panel", status="drawn", consultation_id=consultation_id)
        project.created_at = now
        project.panels.append(Panel(name="Nantes", size=12, place="Nantes"))
        project.draws.append(
            PanelDraw(round=0, inputs="{}", commitment="0" * 64, committed_at=now, lottery="{}")
        )
        db.session.add(project)
        db.session.flush()
        projects.append(project)
    mine, other = projects
    statuses = ["accepted", "accepted", "accepted", "declined"]
    seats = [
        make_seat(mine.panels[0], mine.draws[0], status, number=n)
        for n, status in enumerate(statuses)
    ]
    make_seat(other.panels[0], other.draws[0], "accepted", number=9)
    for seat, wants in zip(seats[:2], (True, False), strict=True):
        db.session.add(
            QuestionnaireResponse(
                seat_id=seat.id, satisfaction=4, wants_follow_up=wants, submitted_at=now
            )
        )
    db.session.commit()
    figures = services.compute_figures(closed)
    assert figures["panellists"] == 3
    assert figures["follow_up_share"] == [1, 2]
