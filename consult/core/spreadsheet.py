"""The one CSV writer of every export: semicolons, a BOM, and no cell a spreadsheet would run.

A cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return, which spreadsheets skip
before reading one of those) is a formula to Excel and LibreOffice: `=HYPERLINK(...)` or
`=cmd|' /C calc'!A0` in a region name, an attribution label or a title would run on the
reader's machine. Every text cell of every row goes through `safe_cell`, whatever its column.
Pure: no Flask, so rules and services can use it.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator

#: What a spreadsheet reads as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

#: A plain number written as text, which no spreadsheet runs.
_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")

#: French spreadsheets expect semicolons and a byte-order mark to read UTF-8.
BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """A cell as text a spreadsheet shows and never runs ("=SUM(A1)" becomes "'=SUM(A1)").

    Numbers stay numbers (also written as text: "-1,5"); other text is prefixed with an
    apostrophe when it, or what follows its leading spaces, starts a formula.
    """
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return value
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """A csv.writer whose every cell is neutralised (see `safe_cell`)."""

    def __init__(self, stream, delimiter: str = ";"):
        self._writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")

    def writerow(self, row: Iterable) -> None:
        """Write one row, each cell made safe."""
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        """Write several rows."""
        for row in rows:
            self.writerow(row)


def csv_text(header: Iterable, rows: Iterable[Iterable], delimiter: str = ";") -> str:
    """A whole CSV file as text, BOM first."""
    out = io.StringIO()
    out.write(BOM)
    writer = SafeWriter(out, delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def csv_chunks(header: Iterable, rows: Iterable[Iterable], every: int = 2000) -> Iterator[str]:
    """The same file in pieces of `every` rows, for a streamed response of a large export."""
    out = io.StringIO()
    out.write(BOM)
    writer = SafeWriter(out)
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow(row)
        if number % every == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def xlsx_bytes(
    sheet_name: str, header: Iterable, rows: Iterable[Iterable], cell=safe_cell
) -> bytes:
    """An XLSX workbook of one sheet: a bold, frozen header row, then `rows`, each cell through
    `cell` (neutralised, by default).

    XlsxWriter writes it row by row in constant-memory mode, and guesses no formula, link or
    number from text: what a participant wrote stays text.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet(str(sheet_name)[:31])
    sheet.write_row(0, 0, list(header), book.add_format({"bold": True}))
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, [cell(value) for value in row])
    book.close()
    return buffer.getvalue()
