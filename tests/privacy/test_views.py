"""Privacy pages: who may open them, downloads, deletion through the form, retention settings."""

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.accounts.models import User
from consult.core.models import AuditEvent
from consult.extensions import db
from consult.privacy.models import RetentionPolicy
from tests.conftest import EVERY_ROLE, PASSWORD

PUBLIC = ["/legal-notice", "/personal-data", "/accessibility"]
SIGNED_IN = ["/my/data", "/my/data.json", "/my/data.csv"]


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_permission_matrix(client, role, sign_in_as, check_access, make_consultation, table_counts):
    """Legal pages are public; one's data needs an account; retention is for organisers."""
    consultation = make_consultation()
    sign_in_as(role)
    for path in PUBLIC:
        check_access(client.get(path), role, None, path)
    for path in SIGNED_IN:
        check_access(client.get(path), role, (), path)
    check_access(client.get("/organise/retention"), role, ("organiser",), "/organise/retention")
    path = f"/organise/retention/consultation/{consultation.id}"
    before = table_counts()
    response = client.post(path, data={"keep_days": "30"})
    check_access(response, role, ("organiser",), path)
    if role not in ("organiser", "administrator"):
        assert table_counts() == before
    path = "/my/account/delete"
    response = client.post(path, data={})
    check_access(response, role, (), path, ok=(422,))


def test_legal_pages_show_the_configured_details(client, app):
    """The settings come from LEGAL; the footer links to the three pages."""
    app.config["LEGAL"] = {**app.config["LEGAL"], "dpo_email": "dpo@mutuelle.example"}
    page = client.get("/personal-data").get_data(as_text=True)
    assert "dpo@mutuelle.example" in page
    assert 'href="/legal-notice"' in page and 'href="/accessibility"' in page
    assert "Défenseur des droits" in client.get("/accessibility").get_data(as_text=True)


def test_administrators_see_missing_legal_settings(client, app, sign_in_as):
    """An empty setting is named for administrators, never for the public."""
    app.config["LEGAL"] = {**app.config["LEGAL"], "host": ""}
    assert "LEGAL_HOST" not in client.get("/legal-notice").get_data(as_text=True)
    sign_in_as("administrator")
    assert "LEGAL_HOST" in client.get("/legal-notice").get_data(as_text=True)


def test_downloads_in_json_and_csv(client, person, login):
    """Both files hold the person's answers; they are attachments never cached."""
    login(client, person.user)
    response = client.get("/my/data.json")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=consult-")
    assert response.headers["Cache-Control"] == "private, no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "camille@example.org"
    response = client.get("/my/data.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["section", "record", "field", "value"]
    assert ["account", "1", "email", "camille@example.org"] in rows
    assert any(r[0] == "contributions" and r[3] == "La solidarité et la prévention." for r in rows)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"password": PASSWORD}, "Cochez la case"),
        ({"confirm": "y"}, "Saisissez votre mot de passe"),
        ({"password": "not-my-password", "confirm": "y"}, "n’est pas le bon"),
    ],
)
def test_deletion_needs_the_password_and_the_box(
    client, person, login, table_counts, form, message
):
    """A wrong or missing answer is a 422 with a clear message; nothing changes."""
    login(client, person.user)
    before = table_counts()
    response = client.post("/my/account/delete", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert table_counts() == before
    assert db.session.get(User, person.user.id).deleted_at is None


def test_deletion_through_the_form_signs_out_for_good(client, person, login):
    """The account is deleted, the person signed out, and signing in again fails."""
    login(client, person.user)
    response = client.post("/my/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert client.get("/my/data").status_code == 302  # signed out
    again = client.post("/login", data={"email": "camille@example.org", "password": PASSWORD})
    assert again.status_code != 302
    assert db.session.get(User, person.user.id).deleted_at is not None


def test_retention_settings_saved_and_bad_input_refused(
    client, sign_in_as, make_consultation, table_counts
):
    """An organiser sets 90 days; nonsense gets a 422 beside the field and changes nothing."""
    consultation = make_consultation()
    sign_in_as("organiser")
    path = f"/organise/retention/consultation/{consultation.id}"
    assert client.post(path, data={"keep_days": "90"}).status_code == 302
    policy = db.session.scalar(select(RetentionPolicy))
    assert policy.keep_days == 90
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "privacy.retention_set")
    )
    assert event.after == {"keep_days": 90}
    for typed in ("-3", "abc", "99999", ""):
        before = table_counts()
        response = client.post(path, data={"keep_days": typed})
        assert response.status_code == 422, typed
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
        assert table_counts() == before
    assert client.post("/organise/retention/other/1", data={"keep_days": "3"}).status_code == 404
    assert (
        client.post("/organise/retention/project/999", data={"keep_days": "3"}).status_code == 404
    )
    page = client.get("/organise/retention").get_data(as_text=True)
    assert 'value="90"' in page


def test_drafts_have_no_retention(client, sign_in_as, make_consultation, now):
    """A draft never ends, so it is not offered and cannot be set."""
    draft = make_consultation(status="draft", opens_at=now + timedelta(days=1))
    sign_in_as("organiser")
    response = client.post(f"/organise/retention/consultation/{draft.id}", data={"keep_days": "3"})
    assert response.status_code == 404
