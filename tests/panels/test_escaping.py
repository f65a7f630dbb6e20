"""Panel imports and forms echo a partner's file as text, never as markup."""

import io

import pytest
from hostile_cells import HOSTILE_CELLS, assert_inert, walk_import

from tests.panels.conftest import VOLUNTEER_COLUMNS

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<a href=# onclick=alert(1)>x</a>",
]


def _assert_inert(page: str, value: str) -> None:
    assert value not in page
    assert "<script>alert" not in page and "<img src=x" not in page and "<a href=#" not in page


def _upload(client, url, text, **fields):
    return client.post(
        url,
        data={"file": (io.BytesIO(text.encode()), "hostile.csv"), **fields},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_duplicate_feature_values_are_escaped(client, login, organiser, make_project, value):
    project = make_project()
    login(client, organiser)
    response = client.post(
        f"/panels/organise/{project.id}/features",
        data={"label": "Lieu", "values": f"a = {value}\nb = {value}"},
    )
    assert response.status_code < 500
    if response.status_code in (302, 303):
        response = client.get(response.headers["Location"])
    _assert_inert(response.get_data(as_text=True), value)


@pytest.mark.parametrize("kind", sorted(HOSTILE_CELLS))
def test_hostile_cells_of_a_volunteers_file_are_inert_on_every_page(
    client, login, organiser, make_project, kind
):
    """A partner's file with a hostile value in every column: the columns page, the preview and
    its refusals, the result and the volunteers page show it as text."""
    from spreadsheets import excel_csv

    value = HOSTILE_CELLS[kind]
    project = make_project()
    login(client, organiser)
    header = [
        "first_name",
        "last_name",
        "email",
        "birth_year",
        "postcode",
        "member",
        "genre",
        "age",
    ]
    rows = [
        header,
        [value, value, "claire@example.org", "1985", "44000", "no", "woman", "young"],
        [value] * len(header),
        ["Paul", "Durand", "paul@example.org", "1970", value, "no", value, value],
    ]
    uploaded = client.post(
        f"/panels/organise/{project.id}/volunteers",
        data={"file": (io.BytesIO(excel_csv(rows)), "partenaire.csv"), "consent": "y"},
        content_type="multipart/form-data",
    )
    pages = walk_import(client, uploaded, VOLUNTEER_COLUMNS)
    pages.append(client.get(f"/panels/organise/{project.id}/volunteers").get_data(as_text=True))
    for page in pages:
        assert_inert(page, value)
