"""Reading the files people really have: Excel's and LibreOffice's CSVs, XLSX, ODS (no app)."""

import io
import zipfile

import pytest
from spreadsheets import excel_csv, libreoffice_csv, ods, xlsx, xlsx_computed

from consult.core.errors import RuleError
from consult.core.imports.reading import (
    MAX_UNCOMPRESSED_BYTES,
    cell_text,
    column_letter,
    detect_format,
    guess_delimiter,
    read_table,
)

PEOPLE = [
    ["Courriel", "Nom", "Région"],
    ["claire@example.org", 'Claire "Clo" Martin', "Île-de-France"],
    ["paul@example.org", "Paul\nDurand", "Bretagne"],
]


def _cells(table):
    return [list(cells) for _line, cells in table.rows]


def test_french_excel_csv_utf8_with_bom_semicolons_doubled_quotes_and_line_breaks():
    """Excel's "CSV UTF-8": BOM, `;`, quotes doubled inside a quoted cell, a quoted line break."""
    raw = excel_csv(PEOPLE)
    assert raw.startswith(b"\xef\xbb\xbf") and b'"Claire ""Clo"" Martin"' in raw
    table = read_table(raw)
    assert table.file_format == "csv" and table.delimiter == ";" and table.encoding == "UTF-8"
    assert table.columns == ["Courriel", "Nom", "Région"]
    assert _cells(table) == [row for row in PEOPLE[1:]]
    # The second person starts on line 3; the quoted line break does not shift the numbering
    # of the line it is on.
    assert [line for line, _ in table.rows] == [2, 3]


def test_excel_plain_csv_is_windows_1252():
    """Excel's plain "CSV (separator: semicolon)" on a French Windows writes Windows-1252."""
    raw = excel_csv(PEOPLE, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    table = read_table(raw)
    assert table.encoding == "Windows-1252"
    assert table.columns[2] == "Région" and _cells(table)[0][2] == "Île-de-France"


def test_libreoffice_csv_commas_without_bom():
    """LibreOffice's default: UTF-8 without BOM, `,`, LF line ends."""
    table = read_table(libreoffice_csv(PEOPLE))
    assert table.delimiter == "," and _cells(table) == PEOPLE[1:]


def test_tab_separated_and_utf16_as_excel_unicode_text():
    """Excel's "Unicode text" is UTF-16 with BOM, tab separated."""
    raw = excel_csv(PEOPLE, delimiter="\t", encoding="utf-16")
    table = read_table(raw)
    assert table.delimiter == "\t" and table.encoding == "UTF-16" and _cells(table) == PEOPLE[1:]


def test_delimiter_is_guessed_from_several_records_not_the_header_alone():
    """A header without commas or semicolons inside quotes still gives the right delimiter."""
    text = 'name;note\n"Durand, Paul";"a, b, c"\n"Martin, Claire";"d, e"\n'
    assert guess_delimiter(text) == ";"
    assert guess_delimiter("a,b\n1,2\n") == ","


def test_trailing_empty_cells_and_blank_lines_are_ignored_but_extra_values_refused():
    raw = b"email;name;;\r\na@example.org;A;;\r\n;;;\r\n\r\nb@example.org;B;oops\r\n"
    table = read_table(raw)
    assert table.columns == ["email", "name"]
    assert _cells(table) == [["a@example.org", "A"]]
    assert [line for line, _ in table.problems] == [5]


def test_short_rows_are_padded():
    table = read_table(b"a,b,c\n1\n")
    assert _cells(table) == [["1", "", ""]]


def test_xlsx_from_openpyxl_numbers_and_dates_read_as_people_see_them():
    from datetime import date

    raw = xlsx(
        [["Courriel", "Année de naissance", "Inscrit le"], ["a@b.fr", 1985, date(2026, 3, 1)]]
    )
    table = read_table(raw)
    assert table.file_format == "xlsx"
    assert _cells(table) == [["a@b.fr", "1985", "2026-03-01"]]


def test_xlsx_formulas_give_the_values_the_spreadsheet_computed():
    raw = xlsx_computed([["email", "weight"], ["a@b.fr", None]], {(1, 1): ("=1+1", 2)})
    assert _cells(read_table(raw)) == [["a@b.fr", "2"]]


def test_xlsx_formula_without_a_stored_value_reads_as_empty():
    """openpyxl stores the formula only: nothing was computed, so nothing is invented."""
    raw = xlsx([["email", "weight"], ["a@b.fr", 1]], formulas={"B2": "=SUM(1,2)"})
    assert _cells(read_table(raw)) == [["a@b.fr", ""]]


def test_ods_from_odfpy_with_a_formula_a_line_break_and_a_hidden_first_sheet_skipped():
    rows = [
        ["Adresse électronique", "Nom", "Poids"],
        ["x@y.fr", "Le «\u00a0chef\u00a0»\nbis", ("of:=1+1", 2)],
    ]
    table = read_table(ods(rows))
    assert table.file_format == "ods"
    assert table.columns == ["Adresse électronique", "Nom", "Poids"]
    assert _cells(table) == [["x@y.fr", "Le «\u00a0chef\u00a0»\nbis", "2"]]


def test_format_comes_from_the_content_not_the_name():
    assert detect_format(xlsx([["a"], ["b"]])) == "xlsx"
    assert detect_format(ods([["a"], ["b"]])) == "ods"
    assert detect_format(b"a;b\n1;2\n") == "csv"


@pytest.mark.parametrize(
    "raw",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<\x00>>",
        bytes(range(256)) * 40,
    ],
    ids=["png", "pdf", "noise"],
)
def test_a_binary_file_renamed_csv_is_refused(raw):
    with pytest.raises(RuleError) as refused:
        read_table(raw)
    assert "CSV" in str(refused.value.message)


def test_a_zip_that_is_not_a_spreadsheet_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(RuleError):
        read_table(out.getvalue())


def test_a_zip_bomb_is_refused_before_it_is_expanded():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (MAX_UNCOMPRESSED_BYTES + 1))
    assert len(out.getvalue()) < 1_000_000
    with pytest.raises(RuleError) as refused:
        read_table(out.getvalue())
    assert "uncompressed" in str(refused.value.message)


def test_a_broken_xlsx_is_refused_with_a_message():
    raw = xlsx([["a"], ["b"]])
    with pytest.raises(RuleError):
        read_table(raw[: len(raw) // 2])


@pytest.mark.parametrize(
    "raw", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"], ids=["empty", "blank", "bom"]
)
def test_an_empty_file_is_refused(raw):
    with pytest.raises(RuleError) as refused:
        read_table(raw)
    assert "empty" in str(refused.value.message)


def test_a_header_without_rows_is_refused():
    with pytest.raises(RuleError) as refused:
        read_table(b"email;name\r\n")
    assert "no rows" in str(refused.value.message)


def test_size_and_row_limits_are_checked_before_reading():
    with pytest.raises(RuleError) as refused:
        read_table(b"a\n" + b"x\n" * 10, max_bytes=10)
    assert "too large" in str(refused.value.message)
    with pytest.raises(RuleError) as refused:
        read_table(b"a\n" + b"x\n" * 11, max_rows=10)
    assert "too many rows" in str(refused.value.message)
    assert len(read_table(b"a\n" + b"x\n" * 10, max_rows=10).rows) == 10
    with pytest.raises(RuleError):
        read_table(xlsx([["a"]] + [["x"]] * 11), max_rows=10)


def test_an_unclosed_quote_is_reported_on_its_line():
    raw = b'email;name\na@b.fr;A\nb@b.fr;"B\n' + b"x" * 200_000
    table = read_table(raw)
    assert _cells(table) == [["a@b.fr", "A"]]
    assert [line for line, _ in table.problems] == [3]


def test_a_hundred_thousand_rows_are_read():
    rows = [["email", "name"]] + [[f"p{n}@example.org", f"Personne {n}"] for n in range(100_000)]
    table = read_table(excel_csv(rows))
    assert len(table.rows) == 100_000 and table.rows[-1] == (
        100_001,
        ("p99999@example.org", "Personne 99999"),
    )


def test_cell_text_and_column_letters():
    assert cell_text(1985.0) == "1985" and cell_text(2.5) == "2.5" and cell_text(None) == ""
    assert cell_text(True) == "1"
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_cells_lose_invisible_controls_and_bidi_overrides_but_keep_line_breaks():
    from consult.core.imports.reading import clean_cell

    assert clean_cell(" Cla\x07ire\x1b[31m\u202e Martin\u2069 ") == "Claire[31m Martin"
    assert clean_cell("Paul\nDurand\tfils") == "Paul\nDurand\tfils"
    assert clean_cell("Ré\u0301gion ñ 東京") == "Ré\u0301gion ñ 東京"
