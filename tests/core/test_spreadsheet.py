"""Every CSV export goes through one writer that neutralises formulas in every cell."""

import csv
import io
import re
from pathlib import Path

import pytest

from consult.accounts.models import Population, Region
from consult.core.spreadsheet import csv_text, safe_cell
from consult.extensions import db

FORMULAS = [
    '=HYPERLINK("https://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-1+2",
    "@SUM(A1)",
]


@pytest.mark.parametrize("value", [*FORMULAS, "\t=1", " =1", "\r=1"])
def test_safe_cell_neutralises_formulas(value):
    assert safe_cell(value).startswith("'")


def test_safe_cell_keeps_text_and_numbers():
    assert safe_cell("La santé") == "La santé" and safe_cell(-3) == -3 and safe_cell(None) is None


def test_csv_text_neutralises_every_column():
    rows = list(
        csv.reader(
            io.StringIO(csv_text(["a", "b"], [FORMULAS[:2]]).lstrip("\ufeff")), delimiter=";"
        )
    )
    assert rows[1] == ["'" + FORMULAS[0], "'" + FORMULAS[1]]


def test_analysis_export_neutralises_labels_and_regions(
    client, login, make_user, make_consultation, make_contribution
):
    """Region names and attribution labels are cells like any other."""
    region = Region(name="=cmd|' /C calc'!A0", position=99)
    db.session.add(region)
    member = db.session.query(Population).filter_by(code="member").one()
    member.label_feminine = '=HYPERLINK("https://evil.example","x")'
    db.session.commit()
    consultation = make_consultation()
    author = make_user(region=region.name)
    make_contribution(consultation.questions[0], author)
    login(client, make_user(roles=("analyst",)))
    text = client.get(f"/analysis/consultations/{consultation.id}/export.csv").get_data(
        as_text=True
    )
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"):
        assert not any(cell.lstrip(" ").startswith(("=", "+", "@")) for cell in row), row


def test_no_export_writes_csv_by_itself():
    """Exports to come use consult.core.spreadsheet too: no csv.writer anywhere else."""
    root = Path(__file__).resolve().parents[2] / "consult"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "spreadsheet.py"
        and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
