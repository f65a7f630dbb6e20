"""Panel pages: permission matrix, public form, organiser draw, invitations, panel page."""

import io
import json
import os
import re
import subprocess
import sys

import pytest

from consult.core import mail
from consult.extensions import db
from consult.panels import services
from consult.panels.models import PanelSeat, PanelVolunteer
from tests.panels.conftest import VOLUNTEER_COLUMNS

PROFILES = [("woman", "young"), ("man", "old"), ("woman", "old"), ("man", "young")]
ROLES = [None, "participant", "moderator", "analyst", "organiser", "administrator"]


@pytest.fixture
def drawn(make_project, add_volunteers, organiser, now):
    """A project whose main draw is done (two panels of 4)."""
    project = make_project(quotas={"woman": (2, 2)})
    add_volunteers(project, PROFILES * 4)
    services.commit_main_draw(organiser, project, now=now)
    seats = services.perform_draw(organiser, project, "42", now=now)
    db.session.commit()
    return project, seats


def organiser_routes(project, panel, seat):
    """Every organiser route (method, path)."""
    p, q = project.id, panel.id
    feature = project.features[0].id
    person = db.session.query(PanelVolunteer).filter_by(project_id=p).first().id
    return [
        ("get", "/panels/organise"),
        ("get", "/panels/organise/new"),
        ("get", f"/panels/organise/{p}"),
        ("get", f"/panels/organise/{p}/settings"),
        ("post", f"/panels/organise/{p}/features"),
        ("post", f"/panels/organise/features/{feature}/delete"),
        ("post", f"/panels/organise/{p}/panels"),
        ("post", f"/panels/organise/panel/{q}/delete"),
        ("get", f"/panels/organise/panel/{q}/quotas"),
        ("get", f"/panels/organise/{p}/volunteers"),
        ("post", f"/panels/organise/volunteers/{person}/exclude"),
        ("post", f"/panels/organise/{p}/commit"),
        ("post", f"/panels/organise/{p}/replacement"),
        ("post", f"/panels/organise/{p}/draw"),
        ("post", f"/panels/organise/seats/{seat}/answer"),
        ("get", f"/panels/organise/panel/{q}"),
        ("post", f"/panels/organise/{p}/documents"),
        ("post", f"/panels/organise/{p}/questionnaire"),
        ("get", f"/panels/organise/{p}/questionnaire"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_organiser_routes(
    client, drawn, role, sign_in_as, check_access, table_counts
):
    project, seats = drawn
    routes = organiser_routes(project, project.panels[0], seats[0][0].id)
    sign_in_as(role)
    for method, path in routes:
        before = table_counts() if role not in ("organiser", "administrator") else None
        response = getattr(client, method)(path)
        check_access(response, role, ("organiser",), path, ok=(200, 302, 303, 400, 410, 422))
        if before is not None:
            assert table_counts() == before, path


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_open_to_everyone(client, drawn, role, sign_in_as):
    project, _ = drawn
    sign_in_as(role)
    assert client.get(f"/panels/{project.id}/draw").status_code == 200
    assert client.get(f"/panels/{project.id}/draws/0/inputs.json").status_code == 200
    assert client.get(f"/panels/{project.id}/draws/0/result.json").status_code == 200
    assert client.get(f"/panels/{project.id}/volunteer").status_code == 410  # drawn: closed


def test_panel_page_only_for_its_members_and_organisers(
    client, drawn, make_user, login, organiser, now
):
    project, seats = drawn
    seat = seats[0][0]
    panel = seat.panel
    services.answer_invitation(seat, True, now=now)
    db.session.commit()
    member = seat.volunteer.user
    member.set_password("correct-horse-battery")
    db.session.commit()
    outsider = make_user(email="other@example.org")
    login(client, outsider)
    assert client.get(f"/panels/panel/{panel.id}").status_code == 404
    assert client.get(f"/panels/panel/{panel.id}/questionnaire").status_code == 404
    client.post("/logout")
    login(client, member)
    page = client.get(f"/panels/panel/{panel.id}")
    assert page.status_code == 200 and panel.name in page.get_data(as_text=True)
    assert "Mon panel" in client.get("/panels/mine").get_data(as_text=True)
    client.post("/logout")
    login(client, organiser)
    assert client.get(f"/panels/panel/{panel.id}").status_code == 200
    client.post("/logout")
    response = client.get(f"/panels/panel/{panel.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_public_volunteer_form_with_honeypot(client, make_project):
    project = make_project()
    form = client.get(f"/panels/{project.id}/volunteer").get_data(as_text=True)
    assert "Genre" in form and 'class="honeypot"' in form
    genre, age = project.features
    data = {
        "first_name": "Claire",
        "last_name": "Martin",
        "email": "claire@example.org",
        "birth_year": "1985",
        "postcode": "44000",
        "is_member": "no",
        f"feature_{genre.id}": str(genre.values[0].id),
        f"feature_{age.id}": str(age.values[1].id),
        "consent_contact": "y",
        "consent_profile": "y",
    }
    bot = client.post(f"/panels/{project.id}/volunteer", data={**data, "website": "http://spam"})
    assert bot.status_code == 422 and db.session.query(PanelVolunteer).count() == 0
    missing = client.post(f"/panels/{project.id}/volunteer", data={**data, "consent_profile": ""})
    assert missing.status_code == 422 and db.session.query(PanelVolunteer).count() == 0
    assert "Ce consentement est nécessaire" in missing.get_data(as_text=True)
    forged = client.post(
        f"/panels/{project.id}/volunteer", data={**data, f"feature_{genre.id}": "99999"}
    )
    assert forged.status_code == 422
    done = client.post(f"/panels/{project.id}/volunteer", data=data)
    assert done.status_code == 200
    person = db.session.query(PanelVolunteer).one()
    assert person.key not in done.get_data(as_text=True)
    assert person.key in mail.outbox[-1].get_content() and mail.outbox[-1]["To"] == person.email
    again = client.post(f"/panels/{project.id}/volunteer", data=data)

    # The same page whether or not the address had applied: nothing tells who volunteered.
    # (A CSRF token carries the second it was signed: two renderings may differ by it alone.)
    def unsigned(response):
        return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))

    assert again.status_code == 200 and unsigned(again) == unsigned(done)
    assert db.session.query(PanelVolunteer).count() == 1 and len(mail.outbox) == 2


def test_volunteer_error_summary_lists_fields_in_the_order_of_the_form(client, make_project):
    project = make_project()
    genre, age = project.features
    page = client.post(f"/panels/{project.id}/volunteer", data={}).get_data(as_text=True)
    start = page.index('class="error-summary"')
    summary = page[start : page.index("</ul>", start)]
    order = ["first_name", "last_name", "email", "birth_year", "postcode", "is_member-0"]
    order += [f"feature_{genre.id}-0", f"feature_{age.id}-0", "consent_contact", "consent_profile"]
    links = [summary.index(f'href="#{name}"') for name in order]
    assert links == sorted(links)
    # each link leads to a field of the page; a question's label keeps its own "?"
    assert all(f'id="{name}"' in page for name in order)
    assert "mutuelle\u00a0? Répondez à cette question." in summary


def test_organiser_builds_commits_and_draws_through_the_pages(
    client, login, organiser, make_project, add_volunteers
):
    project = make_project(panels=())
    add_panel = client.post(
        f"/panels/organise/{project.id}/panels",
        data={"name": "Nantes", "size": "4", "place": "Nantes"},
    )
    assert add_panel.status_code == 302  # anonymous: redirected to sign in
    login(client, organiser)
    assert (
        client.post(
            f"/panels/organise/{project.id}/panels", data={"name": "Nantes", "size": "4"}
        ).status_code
        == 302
    )
    bad = client.post(f"/panels/organise/{project.id}/panels", data={"name": "Nantes", "size": "4"})
    assert bad.status_code == 422 and "Un panel porte déjà ce nom" in bad.get_data(as_text=True)
    panel = project.panels[0]
    woman = project.features[0].values[0]
    wrong = client.post(f"/panels/organise/panel/{panel.id}/quotas", data={f"min_{woman.id}": "x"})
    assert wrong.status_code == 422
    client.post(
        f"/panels/organise/panel/{panel.id}/quotas",
        data={f"min_{woman.id}": "3", f"max_{woman.id}": "3"},
    )
    add_volunteers(project, [("woman", "old"), ("man", "old")] * 2)  # 2 women only
    page = client.get(f"/panels/organise/{project.id}").get_data(as_text=True)
    assert "Les panels ont besoin d’au moins 3 volontaires avec genre = woman" in page
    refused = client.post(f"/panels/organise/{project.id}/commit")
    assert refused.status_code == 303 and not project.draws
    add_volunteers(project, [("woman", "young")] * 3, start=10)
    assert client.post(f"/panels/organise/{project.id}/commit").status_code == 302
    empty = client.post(f"/panels/organise/{project.id}/draw", data={"seed": ""})
    assert empty.status_code == 422
    mail.outbox.clear()
    assert (
        client.post(f"/panels/organise/{project.id}/draw", data={"seed": "12 5 33"}).status_code
        == 302
    )
    assert len(mail.outbox) == 4
    body = mail.outbox[0].get_content()
    token = re.search(r"/panels/invitation/([\w-]+)", body).group(1)
    client.post("/logout")
    invitation = client.get(f"/panels/invitation/{token}")
    assert invitation.status_code == 200 and "Nantes" in invitation.get_data(as_text=True)
    assert client.post(f"/panels/invitation/{token}", data={"answer": "decline"}).status_code == 302
    assert db.session.query(PanelSeat).filter_by(status="declined").count() == 1
    assert client.get("/panels/invitation/not-a-token").status_code == 404


def test_invitation_acceptance_mails_an_account_link(client, drawn):
    _, seats = drawn
    seat, token = seats[0]
    mail.outbox.clear()
    assert client.post(f"/panels/invitation/{token}", data={"answer": "maybe"}).status_code == 400
    assert db.session.get(PanelSeat, seat.id).status == "invited"
    response = client.post(f"/panels/invitation/{token}", data={"answer": "accept"})
    assert response.status_code == 302
    assert "/invitation/" in mail.outbox[-1].get_content()
    assert client.post(f"/panels/invitation/{token}", data={"answer": "decline"}).status_code == 303
    db.session.refresh(seat)
    assert seat.status == "accepted"


def test_an_acceptance_recorded_by_the_organiser_mails_the_same_account_link(
    client, login, organiser, drawn
):
    project, seats = drawn
    seat, _token = seats[0]
    login(client, organiser)
    mail.outbox.clear()
    answer = f"/panels/organise/seats/{seat.id}/answer"
    response = client.post(answer, data={"answer": "accept"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#seats")
    body = mail.outbox[-1].get_content()
    assert mail.outbox[-1]["To"] == seat.volunteer.email and "/invitation/" in body
    assert seat.panel.name in body
    again = client.post(answer, data={"answer": "decline"})  # already answered: refused
    assert again.status_code == 303 and not again.headers["Location"].endswith("#seats")
    assert db.session.get(PanelSeat, seat.id).status == "accepted"


def test_a_document_is_added_or_refused_and_the_project_page_says_which(
    client, login, organiser, make_project
):
    project = make_project(panels=())
    login(client, organiser)
    path = f"/panels/organise/{project.id}/documents"
    added = client.post(path, data={"title": "Charte", "url": "https://example.org/charte.pdf"})
    assert added.status_code == 302 and added.headers["Location"].endswith("#documents")
    refused = client.post(path, data={"title": "Charte", "url": "ftp://example.org/charte"})
    assert refused.status_code == 303 and refused.headers["Location"].endswith("#documents")
    with client.session_transaction() as session:
        assert [category for category, _ in session["_flashes"]] == ["success", "error"]
    empty = client.post(path, data={"title": "", "url": ""})
    assert empty.status_code == 303
    db.session.refresh(project)
    assert [d.url for d in project.documents] == ["https://example.org/charte.pdf"]


MY_PANEL = 'href="/panels/mine"'


def test_my_panel_is_in_the_menu_from_the_page_after_the_acceptance(
    client, drawn, make_user, login
):
    """A participant signed in answers their invitation: "My panel" shows once they accepted,
    and not for a seat declined."""
    _, seats = drawn
    (accepted, accept_token), (declined, decline_token) = seats[0], seats[1]
    panellist = make_user(email=accepted.volunteer.email)
    other = make_user(email=declined.volunteer.email)
    login(client, panellist)
    assert MY_PANEL not in client.get("/profile").get_data(as_text=True)
    answer = client.post(f"/panels/invitation/{accept_token}", data={"answer": "accept"})
    assert answer.status_code == 302
    assert MY_PANEL in client.get("/profile").get_data(as_text=True)
    client.post("/logout")
    login(client, other)
    client.post(f"/panels/invitation/{decline_token}", data={"answer": "decline"})
    assert MY_PANEL not in client.get("/profile").get_data(as_text=True)


def test_an_acceptance_is_confirmed_only_once_stored(client, drawn):
    """A COMMIT that fails (connection lost): no e-mail, no confirmation, the seat unchanged."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    _, seats = drawn
    seat, token = seats[0]
    mail.outbox.clear()

    def fail(_connection):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    event.listen(db.engine, "commit", fail)
    try:
        response = client.post(f"/panels/invitation/{token}", data={"answer": "accept"})
    finally:
        event.remove(db.engine, "commit", fail)
    assert response.status_code == 503
    assert "n’a pas été enregistré" in response.get_data(as_text=True)
    assert mail.outbox == []
    assert db.session.get(PanelSeat, seat.id).status == "invited"


def _upload_volunteers(client, project, text: str) -> str:
    """Upload a volunteers' CSV with consent and map its columns in order: the preview's URL."""
    response = client.post(
        f"/panels/organise/{project.id}/volunteers",
        data={"file": (io.BytesIO(text.encode()), "v.csv"), "consent": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    mapping = {f"column-{i}": name for i, name in enumerate(VOLUNTEER_COLUMNS)}
    return client.post(response.headers["Location"], data=mapping).headers["Location"]


def test_import_page_previews_refused_lines_then_imports(client, login, organiser, make_project):
    project = make_project()
    login(client, organiser)
    header = "first_name,last_name,email,birth_year,postcode,member,genre,age\n"
    bad = header + "A,B,nope,1970,1,no,x,old\n"
    show = _upload_volunteers(client, project, bad)
    page = client.get(show).get_data(as_text=True)
    assert "nope" in page and '<td class="number">2</td>' in page
    good = bad.replace("nope", "a@example.org").replace(",x,", ",woman,")
    show = _upload_volunteers(client, project, good)
    assert client.post(show + "/confirm").status_code == 303
    assert db.session.query(PanelVolunteer).count() == 1
    # Without the consent box, the file is not even read.
    response = client.post(
        f"/panels/organise/{project.id}/volunteers",
        data={"file": (io.BytesIO(good.encode()), "v.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422


def _published_draw_files(drawn, tmp_path):
    """The published draw's record, and its inputs and result written out as files to verify."""
    project, _ = drawn
    record = project.draws[0]
    inputs = tmp_path / "inputs.json"
    inputs.write_text(record.inputs, encoding="utf-8")
    result = tmp_path / "result.json"
    result.write_text(record.result, encoding="utf-8")
    return record, inputs, result


def test_cli_verify_reproduces_the_published_draw(runner, drawn, tmp_path):
    record, inputs, result = _published_draw_files(drawn, tmp_path)
    ok = runner.invoke(
        args=[
            "panels",
            "verify",
            str(inputs),
            "--seed",
            "42",
            "--commitment",
            record.commitment,
            "--result",
            str(result),
        ]
    )
    assert ok.exit_code == 0, ok.output
    assert "matches" in ok.output and record.commitment in ok.output
    wrong = runner.invoke(
        args=["panels", "verify", str(inputs), "--seed", "43", "--result", str(result)]
    )
    assert wrong.exit_code == 1


def test_cli_verify_prints_parseable_json_whatever_the_solver_prints(drawn, tmp_path):
    from tests.panels.test_draw import LOUD_SOLVER, ROOT

    record, inputs, result = _published_draw_files(drawn, tmp_path)
    args = ["panels", "verify", str(inputs), "--seed", "42", "--result", str(result), "--json"]
    script = LOUD_SOLVER + f"from consult.cli import main\nmain({args!r})\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": "sqlite://"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "HiGHS" in done.stderr
    document = json.loads(done.stdout)
    assert document["commitment"] == record.commitment and document["result_matches"] is True
    assert document["panels"] == json.loads(record.result)["panels"]


def test_cli_commit(runner, make_project, add_volunteers):
    project = make_project()
    add_volunteers(project, PROFILES * 3)
    done = runner.invoke(args=["panels", "commit", str(project.id)])
    assert done.exit_code == 0, done.output
    db.session.refresh(project)
    assert project.status == "committed" and done.output.split()[-1] == project.draws[0].commitment
    again = runner.invoke(args=["panels", "commit", str(project.id)])
    assert again.exit_code == 1 and "engagés" in again.output
    assert runner.invoke(args=["panels", "commit", "999"]).exit_code == 2


def test_volunteer_list_is_paginated(client, login, organiser, make_project, add_volunteers):
    project = make_project()
    add_volunteers(project, PROFILES * 30)
    login(client, organiser)
    first = client.get(f"/panels/organise/{project.id}/volunteers").get_data(as_text=True)
    assert "V-00099" in first and "V-00100" not in first and "120 volontaires" in first
    second = client.get(f"/panels/organise/{project.id}/volunteers?page=2").get_data(as_text=True)
    assert "V-00100" in second and "V-00000" not in second


def test_features_are_added_refused_and_removed_through_the_project_page(
    client, login, organiser, make_project
):
    project = make_project(panels=())
    login(client, organiser)
    added = client.post(
        f"/panels/organise/{project.id}/features",
        data={"label": "Région", "values": "Bretagne\nOccitanie"},
    )
    assert added.status_code == 302 and added.headers["Location"].endswith("#features")
    empty = client.post(f"/panels/organise/{project.id}/features", data={"label": "", "values": ""})
    assert empty.status_code == 422
    db.session.refresh(project)
    labels = [f.label for f in project.features]
    assert "Région" in labels and "" not in labels
    feature = next(f for f in project.features if f.label == "Région")
    removed = client.post(f"/panels/organise/features/{feature.id}/delete")
    assert removed.status_code == 302
    db.session.refresh(project)
    assert "Région" not in [f.label for f in project.features]


def test_questionnaire_results_read_as_french(
    client, login, organiser, make_project, add_volunteers, now
):
    project = make_project(panels=(("Nantes", 3),))
    add_volunteers(project, PROFILES)
    services.commit_main_draw(organiser, project, now=now)
    seats = [s for s, _ in services.perform_draw(organiser, project, "x", now=now)]
    for seat in seats:
        services.answer_invitation(seat, True, now=now)
    services.set_questionnaire_open(organiser, project, True, now=now)
    for seat, satisfaction, follow in ((seats[0], 5, True), (seats[1], 4, False)):
        services.answer_questionnaire(
            seat, satisfaction=satisfaction, wants_follow_up=follow, words="", now=now
        )
    db.session.commit()
    login(client, organiser)
    page = client.get(f"/panels/organise/{project.id}/questionnaire").get_data(as_text=True)
    page = page.replace("\u202f", "\u00a0")
    assert "2 réponses sur 3 panélistes." in page
    assert "4,5/5" in page and "50\u00a0%" in page
