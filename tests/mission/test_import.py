"""The dashboard import and attached files: what is read, and bad files that change nothing."""

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from consult.core.errors import RuleError
from consult.extensions import db
from consult.mission import files, imports, spreadsheet
from consult.mission.models import Indicator, IndicatorValue, Objective

HEADER = (
    "ENGAGEMENTS;INDICATEURS DE SUIVI DES ENGAGEMENTS;ÉTAT AU 31/12/2022;ÉTAT AU 31/12/2023;"
    "CIBLE;ANNÉE CIBLE;SENS"
)
GOOD = "\n".join(
    [
        HEADER,
        "Objectif 1 — Rendre les soins accessibles;;;;;;",
        "Redistribuer les cotisations;Taux de redistribution;81,9 %;82,7 %;80 %;2026;hausse",
        ";Entreprises accompagnées;600;605;;;",
        "Objectif 3 — Réduire notre empreinte;;;;;;",
        "Réduire nos émissions;kg CO2 par adhérent;60;47,33;49;2026;baisse",
        "Mesurer l'impact;Mesure d'impact;Note de cadrage;Cartographie réalisée;;;",
    ]
)


def _rows(text, encoding="utf-8"):
    rows, problems = spreadsheet.read_rows(text.encode(encoding))
    assert problems == []
    return rows


def test_the_published_layout_is_read_into_objectives_engagements_and_values():
    plan = spreadsheet.read_dashboard(_rows(GOOD))
    assert plan.errors == [] and plan.years == [2022, 2023]
    first, third = plan.objectives
    assert first.title.startswith("Objectif 1") and len(first.engagements) == 1
    rate, companies = first.engagements[0].indicators
    assert (rate.kind, rate.target, rate.target_year) == ("percent", Decimal("80"), 2026)
    assert rate.values == {2022: Decimal("81.9"), 2023: Decimal("82.7")}
    assert companies.kind == "number" and companies.values[2023] == Decimal("605")
    emissions = third.engagements[0].indicators[0]
    assert emissions.direction == "down" and emissions.values[2023] == Decimal("47.33")
    state = third.engagements[1].indicators[0]
    assert state.kind == "qualitative" and state.values[2023] == "Cartographie réalisée"


def test_an_xlsx_dashboard_is_read_with_its_row_numbers():
    book = Workbook()
    sheet = book.active
    for line in GOOD.splitlines():
        sheet.append([cell or None for cell in line.split(";")])
    buffer = io.BytesIO()
    book.save(buffer)
    rows, _problems = spreadsheet.read_rows(buffer.getvalue())
    plan = spreadsheet.read_dashboard(rows)
    assert plan.errors == [] and plan.indicator_count == 4
    assert plan.objectives[0].engagements[0].indicators[0].line == 3


@pytest.mark.parametrize(
    "content, name, expected",
    [
        (GOOD.encode("cp1252").replace(b"60;", b"6\x81;"), "t.csv", "caractères du fichier"),
        (
            GOOD.replace("CIBLE;", "COMMENTAIRE;").encode(),
            "t.csv",
            "COMMENTAIRE",
        ),
        (
            GOOD.replace("81,9 %", "beaucoup").encode(),
            "t.csv",
            "« beaucoup » (2022) n’est pas un nombre",
        ),
        (GOOD.replace("ENGAGEMENTS;", "ACTIONS;").encode(), "t.csv", "Aucune ligne d’en-tête"),
        (b"PK\x03\x04 not really", "t.xlsx", "ni un fichier CSV ni un classeur"),
        (b"", "t.csv", "Le fichier est vide"),
        (b"%PDF-1.4\x00\x01\x02", "t.pdf", "ni un fichier CSV ni un classeur"),
    ],
)
def test_bad_files_are_refused_with_a_line_number_and_write_nothing(
    app, officer, now, table_counts, content, name, expected
):
    before = table_counts()
    result = imports.preview(name, content)
    assert not result.ok
    assert any(expected in str(message) for _line, message in result.errors), result.errors
    with pytest.raises(RuleError):
        imports.apply(officer, name, content, now=now)
    db.session.rollback()
    assert table_counts() == before


def test_excel_csv_in_windows_1252_is_read_too():
    plan = spreadsheet.read_dashboard(_rows(GOOD, "cp1252"))
    assert plan.errors == [] and plan.objectives[0].title.startswith("Objectif 1")


def test_a_value_that_does_not_fit_its_kind_is_refused_at_its_line():
    plan = spreadsheet.read_dashboard(_rows(GOOD.replace("82,7 %", "182,7 %")))
    assert [line for line, _message in plan.errors] == [3]
    assert "2023" in str(plan.errors[0][1])


def test_the_line_of_a_non_number_is_given():
    plan = spreadsheet.read_dashboard(_rows(GOOD.replace("47,33", "quarante")))
    assert [line for line, _message in plan.errors] == [6]


def test_a_good_import_creates_everything_and_sends_the_values_to_the_committee(app, officer, now):
    result = imports.apply(officer, "t.csv", GOOD.encode(), now=now)
    db.session.commit()
    assert result.plan.indicator_count == 4
    assert db.session.scalar(select(func.count()).select_from(Objective)) == 2
    states = set(db.session.scalars(select(IndicatorValue.state)))
    assert states == {"submitted"}
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 8
    # importing the same file again adds nothing: every value is kept as it is
    again = imports.preview("t.csv", GOOD.encode())
    assert {status for *_rest, status in again.new_values} == {"kept"}
    imports.apply(officer, "t.csv", GOOD.encode(), now=now)
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 4
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 8


# --- attachments -----------------------------------------------------------------------------

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def _zip(names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_accepted_files_are_recognised_by_their_content():
    assert files.check_attachment("rapport.pdf", PDF, 1000) is files.PDF
    assert files.check_attachment("photo.PNG", PNG, 1000) is files.PNG
    xlsx = _zip({"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>"})
    assert files.check_attachment("chiffres.xlsx", xlsx, 10_000) is files.XLSX
    ods = _zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"})
    assert files.check_attachment("chiffres.ods", ods, 10_000) is files.ODS
    assert files.check_attachment("liste.csv", b"a;b\n1;2\n", 1000) is files.CSV


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("rapport.pdf", b"MZ\x90\x00 a program", "n’est pas au format PDF"),
        ("photo.png", PDF, "n’est pas au format PNG"),
        (
            "chiffres.xlsx",
            _zip({"word/document.xml": "x", "[Content_Types].xml": "x"}),
            "n’est pas au format XLSX",
        ),
        ("liste.csv", b"\xff\xfe\x00\x01binary", "n’est pas au format CSV"),
        ("script.exe", b"MZ", "n’est pas accepté"),
        ("rapport.pdf", PDF + b"x" * 2000, "trop volumineux"),
        ("vide.pdf", b"", "vide"),
    ],
)
def test_bad_attachments_are_refused_with_a_clear_message(app, name, content, expected):
    with app.test_request_context(), pytest.raises(RuleError) as refused:
        files.check_attachment(name, content, 1024)
    assert expected in str(refused.value.message)


def test_file_names_are_cleaned():
    assert files.clean_filename("../../etc/passwd") == "passwd"
    assert files.clean_filename("C:\\Users\\x\\bilan 2025.pdf") == "bilan 2025.pdf"
    assert files.clean_filename("a<script>.pdf") == "a_script_.pdf"
