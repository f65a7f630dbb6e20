"""Mission pages: the role × route matrix (with the committee and auditor roles), the value
workflow over HTTP, bad attachments and bad imports that change nothing, exports and the API."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from consult.extensions import db
from consult.mission import proofs, values
from consult.mission.models import Attachment, IndicatorValue

ROLES = (
    None,
    "participant",
    "delegate",
    "moderator",
    "analyst",
    "organiser",
    "committee",
    "auditor",
    "administrator",
)
PEOPLE = ("organiser", "committee", "auditor")


@pytest.fixture
def mission(make_proof, make_indicator, officer, member, now):
    """An indicator with a validated value at 31/12/2024 and a public proof."""
    indicator = make_indicator()
    value = values.save_value(
        officer, indicator, None, now=now, as_of=date(2024, 12, 31), figure=Decimal("81.9")
    )
    values.transition(officer, value, "submit", now=now)
    values.transition(member, value, "validate", now=now)
    proof = make_proof(links=[f"i:{indicator.id}"])
    proofs.decide(member, proof, now=now, status="retained", public=True)
    db.session.commit()
    return {
        "indicator": indicator,
        "value": value,
        "proof": proof,
        "objective": indicator.engagement.objective,
        "engagement": indicator.engagement,
    }


def routes(m):
    """(path, allowed roles): None public, () any signed-in person (the service decides)."""
    i, p, o, e = (
        m["indicator"].id,
        m["proof"].id,
        m["objective"].id,
        m["engagement"].id,
    )
    return [
        ("/mission", None),
        (f"/mission/indicators/{i}", None),
        ("/mission/proofs", None),
        (f"/mission/proofs/{p}", None),
        ("/mission/opinions", None),
        ("/mission/export.csv", None),
        ("/mission/export.xlsx", None),
        ("/api/v1/mission", None),
        (f"/api/v1/mission/indicators/{i}", None),
        ("/api/v1/mission/proofs", None),
        ("/api/v1/mission/opinions", None),
        ("/mission/manage", PEOPLE),
        (f"/mission/manage/objectives/{o}", PEOPLE),
        ("/mission/manage/proofs", PEOPLE),
        ("/mission/manage/sessions", PEOPLE),
        ("/mission/manage/opinions", PEOPLE),
        ("/mission/manage/objectives/new", ("organiser",)),
        (f"/mission/manage/objectives/{o}/engagements/new", ("organiser",)),
        (f"/mission/manage/engagements/{e}/edit", ("organiser",)),
        (f"/mission/manage/engagements/{e}/indicators/new", ("organiser",)),
        (f"/mission/manage/indicators/{i}/edit", ("organiser",)),
        ("/mission/manage/import", ("organiser",)),
        ("/mission/manage/sessions/new", ("committee",)),
        ("/mission/manage/opinions/new", ("committee",)),
        ("/mission/manage/sampling.csv", ("auditor",)),
        ("/mission/manage/sampling.xlsx", ("auditor",)),
        ("/mission/mine", ()),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(client, mission, role, sign_in_as, check_access):
    sign_in_as(role)
    for path, allowed in routes(mission):
        response = client.get(path)
        if path.startswith("/api/") or allowed is None:
            assert response.status_code == 200, (path, role, response.status_code)
        else:
            check_access(response, role, allowed, path)


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_an_indicators_values(client, mission, role, sign_in_as):
    """Working pages of values: the mission's people and the owner; others 403."""
    sign_in_as(role)
    for path in (
        f"/mission/manage/indicators/{mission['indicator'].id}",
        f"/mission/manage/values/{mission['value'].id}",
    ):
        status = client.get(path).status_code
        if role is None:
            assert status == 302
        elif role in (*PEOPLE, "administrator"):
            assert status == 200, (path, role)
        else:
            assert status == 403, (path, role)


@pytest.mark.parametrize(
    "role, action, expected",
    [
        ("participant", "validate", 403),
        ("organiser", "validate", 403),
        ("auditor", "validate", 403),
        ("auditor", "correct", 403),
        ("auditor", "comments", 403),
        ("committee", "audit", 403),
        ("auditor", "audit", 403),
    ],
)
def test_writing_actions_are_refused_to_other_roles(
    client, mission, role, action, expected, sign_in_as
):
    sign_in_as(role)
    before = mission["value"].state
    response = client.post(
        f"/mission/manage/values/{mission['value'].id}/{action}",
        data={"reason": "x", "reference": "x", "body": "x"},
    )
    assert response.status_code == expected
    assert db.session.get(IndicatorValue, mission["value"].id).state == before


def test_an_owner_enters_submits_and_the_committee_validates_over_http(
    client, make_indicator, owner, member, login
):
    indicator = make_indicator(owner_user_id=owner.id)
    login(client, owner)
    response = client.post(
        f"/mission/manage/indicators/{indicator.id}/values/new",
        data={"as_of": "2025-12-31", "value": "82,7", "comment": "Comptes 2025"},
    )
    assert response.status_code == 302
    value = db.session.scalar(db.select(IndicatorValue))
    assert value.value == Decimal("82.7") and value.state == "draft"
    bad = client.post(
        f"/mission/manage/indicators/{indicator.id}/values/new",
        data={"as_of": "2024-12-31", "value": "beaucoup"},
    )
    assert bad.status_code == 422 and "Saisissez un nombre" in bad.get_data(as_text=True)
    assert client.post(f"/mission/manage/values/{value.id}/submit").status_code == 302
    client.post("/logout")
    login(client, member)
    assert client.post(f"/mission/manage/values/{value.id}/validate").status_code == 302
    assert db.session.get(IndicatorValue, value.id).state == "validated"
    page = client.get(f"/mission/indicators/{indicator.id}").get_data(as_text=True)
    assert "82,7\u00a0%" in page and "<svg" in page and "<table" in page


def _upload(client, path, name, content):
    return client.post(
        path, data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("rapport.pdf", b"MZ\x90 not a pdf", "n’est pas au format PDF"),
        ("photo.png", b"%PDF-1.4 a pdf", "n’est pas au format PNG"),
        ("rapport.pdf", b"%PDF-1.4" + b"x" * 3000, "trop volumineux"),
        ("programme.exe", b"MZ", "n’est pas accepté"),
    ],
)
def test_a_bad_attachment_is_refused_in_french_and_stores_nothing(
    make_proof,
    app,
    client,
    mission,
    officer,
    login,
    attachments_dir,
    table_counts,
    name,
    content,
    message,
):
    app.config["MISSION_ATTACHMENT_MAX_BYTES"] = 2048
    proof = make_proof(
        now=mission["value"].created_at,
        title="Nouvelle",
        happened_on=date(2025, 1, 1),
        department="X",
        links=[f"o:{mission['objective'].id}"],
    )
    db.session.commit()
    login(client, officer)
    before = table_counts()
    response = _upload(client, f"/mission/manage/proofs/{proof.id}/attachments", name, content)
    app.config["MISSION_ATTACHMENT_MAX_BYTES"] = 5 * 1024 * 1024
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert table_counts() == before
    assert not attachments_dir.exists() or list(attachments_dir.iterdir()) == []


def test_a_good_attachment_is_stored_outside_the_database_and_served_checked(
    client, mission, officer, login, attachments_dir
):
    login(client, officer)
    proof = mission["proof"]
    proof.status = "submitted"
    db.session.commit()
    pdf = b"%PDF-1.4\n%%EOF\n"
    assert (
        _upload(
            client, f"/mission/manage/proofs/{proof.id}/attachments", "bilan.pdf", pdf
        ).status_code
        == 302
    )
    attachment = db.session.scalar(db.select(Attachment))
    stored = attachments_dir / attachment.stored_name
    assert stored.read_bytes() == pdf and attachment.media_type == "application/pdf"
    served = client.get(f"/mission/attachments/{attachment.id}")
    assert served.status_code == 200 and served.data == pdf
    stored.write_bytes(b"%PDF-1.4 tampered")
    assert client.get(f"/mission/attachments/{attachment.id}").status_code == 410


def test_a_file_written_by_a_request_that_fails_is_removed(
    app, client, mission, officer, login, attachments_dir, monkeypatch
):
    """The file is on disk before the row commits; a failed commit must not leave it behind."""
    login(client, officer)
    proof = mission["proof"]
    proof.status = "submitted"
    db.session.commit()

    def failing_commit():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = _upload(
            client, f"/mission/manage/proofs/{proof.id}/attachments", "bilan.pdf", b"%PDF-1.4\n"
        )
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
        monkeypatch.undo()
    assert response.status_code == 500
    assert list(attachments_dir.iterdir()) == []


GOOD_CSV = (
    "ENGAGEMENTS;INDICATEURS DE SUIVI DES ENGAGEMENTS;ÉTAT AU 31/12/2022;ÉTAT AU 31/12/2023\n"
    "Objectif 9 — Nouveau;;;\n"
    "S'engager;Entreprises accompagnées;600;605\n"
)


@pytest.mark.parametrize(
    "content, message",
    [
        (GOOD_CSV.encode("cp1252").replace(b"600", b"6\x8d0"), "caractères du fichier"),
        (GOOD_CSV.replace("ÉTAT AU 31/12/2023", "REMARQUES").encode(), "REMARQUES"),
        (GOOD_CSV.replace("605", "six cents").encode(), "Ligne 3"),
    ],
)
def test_a_bad_import_is_refused_in_french_and_changes_nothing(
    client, officer, login, table_counts, content, message
):
    login(client, officer)
    before = table_counts()
    response = _upload(client, "/mission/manage/import", "tableau.csv", content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "rien n’a été enregistré" in response.get_data(as_text=True)
    assert table_counts() == before


def test_an_import_is_previewed_then_applied(client, officer, login, table_counts):
    login(client, officer)
    before = table_counts()
    preview = _upload(client, "/mission/manage/import", "tableau.csv", GOOD_CSV.encode())
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Entreprises accompagnées" in page
    assert table_counts() == before  # a preview writes nothing
    token = page.split('name="token" value="')[1].split('"')[0]
    assert client.post("/mission/manage/import/confirm", data={"token": token}).status_code == 302
    assert table_counts()["mission_value"] == 2
    # a forged token is refused
    response = client.post("/mission/manage/import/confirm", data={"token": "../../x"})
    assert response.status_code == 302 and table_counts()["mission_value"] == 2


def test_exports_and_api_show_settled_values_only(client, mission, officer, now, make_user, login):
    draft = values.save_value(
        officer, mission["indicator"], None, now=now, as_of=date(2025, 12, 31), figure=Decimal("99")
    )
    db.session.commit()
    csv_text = client.get("/mission/export.csv").get_data(as_text=True)
    assert "81,9" in csv_text and "99" not in csv_text.split("\n", 1)[1]
    book = load_workbook(io.BytesIO(client.get("/mission/export.xlsx").data))
    assert book.active.cell(2, 3).value == "Taux de redistribution"
    api = client.get("/api/v1/mission").get_json()
    indicator = api["objectives"][0]["engagements"][0]["indicators"][0]
    assert [v["value"] for v in indicator["values"]] == ["81.9"]
    assert indicator["gap"] == {"difference": "1.9", "reached": True}
    login(client, make_user(roles=("auditor",)))
    sampling = client.get("/mission/manage/sampling.csv").get_data(as_text=True)
    assert "81,9" in sampling and "99" in sampling and str(draft.id) in sampling


def test_the_mission_api_answers_as_its_openapi_document_says(client, mission):
    """Each mission operation of /api/v1/openapi.json answers, without a token or a session,
    JSON that its documented schema accepts (JSON Schema 2020-12, as OpenAPI 3.1 uses)."""
    from jsonschema import Draft202012Validator

    document = client.get("/api/v1/openapi.json").get_json()
    paths = {
        "/mission": "/mission",
        "/mission/indicators/{indicator_id}": f"/mission/indicators/{mission['indicator'].id}",
        "/mission/proofs": "/mission/proofs",
        "/mission/opinions": "/mission/opinions",
    }
    assert {p for p in document["paths"] if p.startswith("/mission")} == set(paths)
    for documented, path in paths.items():
        operation = document["paths"][documented]["get"]
        assert operation["security"] == []
        response = client.get("/api/v1" + path)
        assert response.status_code == 200, path
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        validator = Draft202012Validator({**schema, "components": document["components"]})
        assert not list(validator.iter_errors(response.get_json())), path
    assert client.get("/api/v1/mission/proofs").get_json()["total"] == 1
    assert client.get("/api/v1/mission/indicators/999999").status_code == 404


@pytest.mark.parametrize("role", ("auditor", "participant", "analyst"))
def test_the_auditor_and_others_cannot_write_anything(
    client, mission, role, sign_in_as, table_counts
):
    """The auditor reads everything and changes nothing: every writing route answers 403."""
    sign_in_as(role)
    i, v, p, o, e = (
        mission["indicator"].id,
        mission["value"].id,
        mission["proof"].id,
        mission["objective"].id,
        mission["engagement"].id,
    )
    before = table_counts()
    for path in (
        "/mission/manage/objectives/new",
        f"/mission/manage/objectives/{o}/engagements/new",
        f"/mission/manage/engagements/{e}/indicators/new",
        f"/mission/manage/indicators/{i}/values/new",
        f"/mission/manage/indicators/{i}/recompute",
        f"/mission/manage/values/{v}/edit",
        f"/mission/manage/values/{v}/submit",
        f"/mission/manage/values/{v}/validate",
        f"/mission/manage/values/{v}/return",
        f"/mission/manage/values/{v}/audit",
        f"/mission/manage/values/{v}/correct",
        f"/mission/manage/values/{v}/comments",
        f"/mission/manage/values/{v}/attachments",
        "/mission/manage/proofs/new",
        f"/mission/manage/proofs/{p}/decide",
        f"/mission/manage/proofs/{p}/comments",
        f"/mission/manage/proofs/{p}/attachments",
        "/mission/manage/sessions/new",
        "/mission/manage/opinions/new",
        "/mission/manage/import",
        "/mission/manage/import/confirm",
    ):
        data = {"reason": "x", "reference": "x", "body": "x", "title": "x", "year": "2025"}
        assert client.post(path, data=data).status_code == 403, (role, path)
    assert table_counts() == before


@pytest.mark.parametrize("kind", ["formula", "hyperlink", "at", "script", "attribute", "bidi"])
def test_hostile_cells_of_a_mission_file_are_inert_in_pages_and_exports(
    client, officer, login, make_user, kind
):
    """Hostile engagement and indicator names: the preview shows them as text, and the
    auditor's CSV and XLSX files hold them as text that no spreadsheet runs."""
    import csv

    from hostile_cells import BIDI_CONTROLS, HOSTILE_CELLS, assert_inert

    value = HOSTILE_CELLS[kind]
    content = GOOD_CSV.replace("S'engager", value).replace("Entreprises accompagnées", value)
    login(client, officer)
    preview = _upload(client, "/mission/manage/import", "tableau.csv", content.encode())
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert_inert(page, value)
    token = page.split('name="token" value="')[1].split('"')[0]
    assert client.post("/mission/manage/import/confirm", data={"token": token}).status_code == 302
    assert_inert(client.get("/mission/manage").get_data(as_text=True), value)
    client.post("/logout")
    login(client, make_user(roles=("auditor",)))
    response = client.get("/mission/manage/sampling.csv")
    assert response.status_code == 200, response.status_code
    sampling = response.get_data(as_text=True)
    cells = [
        c for row in csv.reader(io.StringIO(sampling.lstrip("\ufeff")), delimiter=";") for c in row
    ]
    workbook = client.get("/mission/manage/sampling.xlsx")
    assert workbook.status_code == 200, (
        workbook.status_code,
        workbook.get_data(as_text=True)[:300],
    )
    book = load_workbook(io.BytesIO(workbook.data))
    cells += [str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.lstrip(" ").startswith(("=", "+", "@", "-")) and c != "-"]
    assert not any(BIDI_CONTROLS.search(c) for c in cells)
    if kind != "bidi" and '"' not in value:  # (a bare quote changes how the CSV line reads)
        assert any(c == "'" + value for c in cells) or any(value in c for c in cells)


MY_INDICATORS = 'href="/mission/mine"'


def test_my_indicators_is_in_the_menu_of_indicator_owners_only(
    client, login, make_indicator, owner, officer, make_user
):
    """The owner sees "My indicators" from the page after the officer names them, nobody else."""
    indicator = make_indicator(title="Part des achats responsables")
    login(client, owner)
    assert MY_INDICATORS not in client.get("/profile").get_data(as_text=True)
    client.post("/logout")
    login(client, officer)
    edit = client.post(
        f"/mission/manage/indicators/{indicator.id}/edit",
        data={
            "title": indicator.title,
            "kind": "percent",
            "direction": "up",
            "target_value": "80",
            "target_year": "2026",
            "owner_email": owner.email,
            "computed": "",
        },
    )
    assert edit.status_code == 302
    assert MY_INDICATORS not in client.get("/profile").get_data(as_text=True)
    client.post("/logout")
    for person, shown in ((owner, True), (make_user(roles=("participant",)), False)):
        login(client, person)
        assert (MY_INDICATORS in client.get("/profile").get_data(as_text=True)) is shown
        client.post("/logout")
