"""A roll file with hostile cells: every page of its import shows them as inert text."""

import io

import pytest
from hostile_cells import HOSTILE_CELLS, assert_inert, walk_import
from spreadsheets import excel_csv

HEADER = ["identifier", "name", "email", "section", "weight"]


@pytest.mark.parametrize("kind", sorted(HOSTILE_CELLS))
def test_hostile_cells_of_a_roll_are_inert_on_every_page(
    client, login, officer, make_assembly, kind
):
    value = HOSTILE_CELLS[kind]
    assembly = make_assembly(delegates=0)
    login(client, officer)
    rows = [
        HEADER,
        ["D001", value, "delegate1@example.org", value, "1"],
        [value] * len(HEADER),
        ["D003", "Paul Durand", "delegate3@example.org", "Nord", value],
    ]
    uploaded = client.post(
        f"/assemblies/{assembly.id}/roll",
        data={"file": (io.BytesIO(excel_csv(rows)), "roll.csv")},
        content_type="multipart/form-data",
    )
    pages = walk_import(client, uploaded, HEADER)
    pages.append(client.get(f"/assemblies/{assembly.id}/manage").get_data(as_text=True))
    for page in pages:
        assert_inert(page, value)
