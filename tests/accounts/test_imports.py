"""Inviting people from real files: upload, columns, preview, confirmation, idempotence."""

import html
import io
import re
from urllib.parse import urlsplit

import pytest
from conftest import EVERY_ROLE
from hostile_cells import HOSTILE_CELLS, assert_inert, walk_import
from spreadsheets import excel_csv, libreoffice_csv, ods, xlsx
from sqlalchemy import func, select

from consult.accounts import services as accounts
from consult.accounts.imports import INVITATIONS
from consult.accounts.models import AccountToken, User
from consult.core import mail
from consult.core.imports import services as imports
from consult.core.imports.models import ImportBatch, ImportMapping
from consult.core.models import AuditEvent, OutgoingMail
from consult.extensions import db

HEADER = ["Courriel", "Catégorie", "Région", "Tranche d’âge", "Genre", "Nom"]
PEOPLE = [
    HEADER,
    ["claire.martin@example.org", "Adhérente", "Occitanie", "40-60", "f", 'Claire "Clo" Martin'],
    ["paul.durand@example.org", "delegate", "Bretagne", "30-40 ans", "Homme", "Paul\nDurand"],
]


def text(response) -> str:
    """The page as a person reads it."""
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    """Rows of a table."""
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, raw, name="adherents.csv"):
    """Post a file on the invitation page; return the response."""
    return client.post("/admin/people/invite", data={"file": (io.BytesIO(raw), name)})


def run_import(client, raw, name="adherents.csv", mapping=None):
    """Upload, keep the proposed columns (or those given), return the preview page's batch."""
    response = upload(client, raw, name)
    assert response.status_code == 302, text(response)[:500]
    columns_url = urlsplit(response.headers["Location"]).path
    batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    chosen = mapping if mapping is not None else batch.mapping
    form = {f"column-{i}": key or "" for i, key in enumerate(chosen)}
    response = client.post(columns_url, data=form)
    assert response.status_code == 303, text(response)[:500]
    db.session.refresh(batch)
    return batch


@pytest.fixture
def organiser(client, make_user, login):
    """An organiser, signed in."""
    user = make_user(roles=("organiser",))
    login(client, user)
    return user


def test_excel_csv_is_mapped_previewed_confirmed_and_sends_invitations(client, organiser):
    batch = run_import(client, excel_csv(PEOPLE))
    assert batch.mapping == ["email", "category", "region", "age_band", "gender", "name"]
    assert batch.status == "previewed"
    assert batch.plan["create"] == 2 and batch.plan["refused"] == 0
    page = text(client.get(f"/imports/{batch.id}"))
    assert "Confirmer l’import" in page
    assert count(User) == 1 and not mail.outbox  # nothing written before the confirmation

    response = client.post(f"/imports/{batch.id}/confirm")
    assert response.status_code == 303
    db.session.refresh(batch)
    assert batch.status == "done" and batch.content is None
    assert batch.result == {"created": 2, "updated": 0, "refused": 0}
    claire = accounts.find_user_by_email("claire.martin@example.org")
    paul = accounts.find_user_by_email("paul.durand@example.org")
    assert (claire.population.code, claire.region.name, claire.age_band, claire.gender_form) == (
        "member",
        "Occitanie",
        "40-60",
        "f",
    )
    assert claire.display_name == 'Claire "Clo" Martin' and paul.display_name == "Paul Durand"
    assert paul.role_names == {"participant", "delegate"}
    assert claire.password_hash is None
    # The e-mails left after the commit, through the outbox, which is empty again.
    assert sorted(m["To"] for m in mail.outbox) == [
        "claire.martin@example.org",
        "paul.durand@example.org",
    ]
    assert count(OutgoingMail) == 0
    link = re.search(r"https?://\S+", mail.outbox[0].get_content()).group(0)
    client.post("/logout")
    assert client.get(urlsplit(link).path).status_code == 200
    assert count(AuditEvent) >= 2


def test_the_same_file_twice_creates_nothing_more(client, organiser):
    raw = excel_csv(PEOPLE)
    first = run_import(client, raw)
    client.post(f"/imports/{first.id}/confirm")
    sent = len(mail.outbox)
    second = run_import(client, raw)
    assert second.plan["create"] == 0 and second.plan["update"] == 0
    assert second.plan["unchanged"] == 2
    client.post(f"/imports/{second.id}/confirm")
    assert "rien à importer" in text(client.get(f"/imports/{second.id}"))
    assert count(User) == 3 and len(mail.outbox) == sent and count(AccountToken) == 2


def test_a_changed_line_updates_the_profile_and_sends_nothing(client, organiser):
    client.post(f"/imports/{run_import(client, excel_csv(PEOPLE)).id}/confirm")
    sent = len(mail.outbox)
    moved = [HEADER, ["claire.martin@example.org", "member", "Bretagne", "", "", ""]]
    batch = run_import(client, excel_csv(moved))
    assert (batch.plan["create"], batch.plan["update"]) == (0, 1)
    client.post(f"/imports/{batch.id}/confirm")
    claire = accounts.find_user_by_email("claire.martin@example.org")
    # Empty cells keep what the account held.
    assert (claire.region.name, claire.age_band, claire.display_name) == (
        "Bretagne",
        "40-60",
        'Claire "Clo" Martin',
    )
    assert len(mail.outbox) == sent


def test_refused_lines_are_listed_with_reasons_and_the_rest_may_be_imported(client, organiser):
    rows = PEOPLE + [
        ["pas-une-adresse", "member", "", "", "", ""],
        ["lea@example.org", "pirate", "", "", "", ""],
        ["CLAIRE.martin@example.org", "member", "", "", "", ""],
    ]
    batch = run_import(client, excel_csv(rows))
    assert (batch.plan["create"], batch.plan["refused"]) == (2, 3)
    # Line numbers are the file's: the quoted line break makes Paul's record two lines long.
    assert [line for line, *_ in batch.plan["refusals"]] == [5, 6, 7]
    page = text(client.get(f"/imports/{batch.id}"))
    assert "pas-une-adresse" in page and "pirate" in page and "ligne 2" in page
    client.post(f"/imports/{batch.id}/confirm")
    assert count(User) == 3


def test_french_column_names_are_remembered_for_the_next_file(client, organiser):
    rows = [["Mél pro", "Type", "Tél"], ["a@example.org", "member", "0600000000"]]
    batch = run_import(client, libreoffice_csv(rows), mapping=["email", "category", None])
    remembered = db.session.get(ImportMapping, INVITATIONS.key).columns
    assert remembered == {"melpro": "email", "type": "category", "tel": None}
    response = upload(client, xlsx(rows), "autre.xlsx")
    batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert batch.file_format == "xlsx" and batch.mapping == ["email", "category", None]
    assert response.status_code == 302


def test_a_renamed_column_is_mapped_by_hand(client, organiser):
    rows = [["Adresse de contact", "Population"], ["a@example.org", "member"]]
    response = upload(client, excel_csv(rows))
    columns_url = urlsplit(response.headers["Location"]).path
    batch = db.session.scalar(select(ImportBatch))
    assert batch.mapping == [None, "category"]
    page = client.post(columns_url, data={"column-0": "", "column-1": "category"})
    assert page.status_code == 422 and "E-mail" in text(page)
    assert (
        client.post(columns_url, data={"column-0": "email", "column-1": "category"}).status_code
        == 303
    )
    db.session.refresh(batch)
    assert batch.plan["create"] == 1


def test_ods_and_xlsx_files_are_imported(client, organiser):
    batch = run_import(client, ods(PEOPLE), "adherents.ods")
    assert batch.file_format == "ods" and batch.plan["create"] == 2
    rows = [HEADER, ["zoe@example.org", "citizen", "Normandie", "20-30", "f", "Zoé"]]
    batch = run_import(client, xlsx(rows), "export.xlsx")
    assert batch.file_format == "xlsx" and batch.plan["create"] == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "vide"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ni un fichier CSV"),
        (b"Courriel;Nom\r\n", "aucune ligne"),
    ],
    ids=["empty", "binary renamed csv", "header only"],
)
def test_unreadable_files_are_refused_on_the_upload_page(client, organiser, raw, expected):
    response = upload(client, raw, "adherents.csv")
    assert response.status_code == 422 and expected in text(response)
    assert count(ImportBatch) == 0


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_hostile_cell_in_every_column_is_shown_escaped(client, organiser):
    rows = [[HOSTILE + name for name in HEADER], [HOSTILE] * len(HEADER)]
    response = upload(client, excel_csv(rows), HOSTILE + ".csv")
    columns_url = urlsplit(response.headers["Location"]).path
    for page in (client.get(columns_url), None):
        if page is None:
            form = {
                f"column-{i}": key
                for i, key in enumerate(
                    INVITATIONS.fields
                    and ["email", "category", "region", "age_band", "gender", "name"]
                )
            }
            client.post(columns_url, data=form)
            batch = db.session.scalar(select(ImportBatch))
            page = client.get(f"/imports/{batch.id}")
            assert batch.plan["refused"] == 1
        body = page.get_data(as_text=True)
        assert "<script>" not in body and "<img src=x" not in body
        assert "&lt;script&gt;" in body


def test_the_import_pages_obey_the_permission_matrix(
    client, app, make_user, login, sign_in_as, check_access
):
    owner = make_user(roles=("organiser",))
    batch = imports.upload(
        owner,
        INVITATIONS,
        None,
        excel_csv(PEOPLE),
        filename="a.csv",
        options={},
        now=owner.created_at,
    )
    db.session.commit()
    routes = [
        ("GET", "/admin/people/invite"),
        ("GET", f"/imports/{batch.id}/columns"),
        ("GET", f"/imports/{batch.id}"),
        ("POST", f"/imports/{batch.id}/cancel"),
    ]
    login(client, owner)
    assert client.get(f"/imports/{batch.id}/columns").status_code == 200
    assert client.get("/imports/999999").status_code == 404
    for role in EVERY_ROLE:
        client.post("/logout")
        sign_in_as(role)
        for method, path in routes:
            response = client.open(path, method=method)
            if path.startswith("/imports/") and role == "organiser":
                # Another organiser may not take someone else's file further.
                assert response.status_code == 403, (path, role)
            else:
                check_access(response, role, ("organiser",), path, ok=(200, 302, 303))


@pytest.mark.parametrize("kind", sorted(HOSTILE_CELLS))
def test_hostile_cells_are_inert_on_every_import_page_and_in_the_people_list(
    client, organiser, kind
):
    """A hostile value in every column (and in the e-mail, which refuses the line): the columns
    page, the preview with its refusals, the result and the people list show it as text."""
    value = HOSTILE_CELLS[kind]
    rows = [
        HEADER,
        ["claire.martin@example.org", "Adhérente", "Occitanie", "40-60", "f", value],
        [value, value, value, value, value, value],
        [f"{value}@example.org", "Adhérente", value, "40-60", "f", "Paul"],
    ]
    pages = walk_import(client, upload(client, excel_csv(rows), "adherents.csv"))
    pages.append(client.get("/admin/people").get_data(as_text=True))
    for page in pages:
        assert_inert(page, value)
    preview = html.unescape(pages[2])
    assert "Refusées" in preview or "refusée" in preview.lower()
