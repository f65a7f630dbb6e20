"""Reading an uploaded file into a table of text cells, whatever program wrote it.

The format comes from the content, never from the name: a ZIP holding a workbook is XLSX, one
whose `mimetype` entry says so is ODS, an OLE2 compound file is an old XLS, and anything else must
be text (CSV in the dialects Excel and LibreOffice write: `;`, `,` or tab, UTF-8 with or without
BOM, UTF-16 with BOM, Windows-1252, doubled quotes, quoted line breaks). Sizes are checked before
a parser runs: the upload's bytes, a workbook's uncompressed size, and the number of rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l

#: Largest upload, in bytes (the request limit of the import pages is set a little above it).
MAX_BYTES = 40 * 1024 * 1024
#: Largest uncompressed workbook: a small ZIP can expand to gigabytes (a "zip bomb").
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
#: Most data rows an import reads (the header line not counted).
MAX_ROWS = 200_000
#: How many records the delimiter is guessed from (the header line alone is not enough).
SNIFF_RECORDS = 50
DELIMITERS = (";", ",", "\t", "|")

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

NOT_A_TABLE = _l(
    "This file is neither a CSV file nor a spreadsheet (XLSX, ODS or XLS): "
    "save it from your spreadsheet in one of these formats and send it again."
)


@dataclass
class Table:
    """A file's first sheet as text: column names, then rows numbered as the file shows them."""

    #: "csv", "xlsx", "ods" or "xls".
    file_format: str
    #: Column names as written in the header line ("" for a blank one: shown by its letter).
    columns: list[str]
    #: (line number in the file, one text per column); blank rows are left out.
    rows: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    #: Lines that cannot be read as rows, with the reason: (line, message).
    problems: list[tuple[int, object]] = field(default_factory=list)
    #: How the text was decoded and split (CSV only), shown on the mapping page.
    encoding: str | None = None
    delimiter: str | None = None


def read_table(raw: bytes, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> Table:
    """Read an upload into a `Table`, or raise `RuleError` with a message for the organiser."""
    if len(raw) > max_bytes:
        raise RuleError(
            _l("The file is too large (at most %(n)d MB).", n=max_bytes // (1024 * 1024)),
            field="file",
        )
    if not raw.strip():
        raise RuleError(_l("The file is empty."), field="file")
    kind = detect_format(raw)
    if kind == "csv":
        table = _read_csv(_decode(raw), max_rows)
    else:
        table = _read_workbook(raw, kind, max_rows)
    if not table.columns:
        raise RuleError(_l("The file is empty."), field="file")
    if not table.rows and not table.problems:
        raise RuleError(_l("The file has a header line but no rows."), field="file")
    return table


def detect_format(raw: bytes) -> str:
    """ "xlsx", "ods", "xls" or "csv" from the bytes themselves; anything else is refused."""
    if raw.startswith(ZIP_MAGIC):
        return _zip_format(raw)
    if raw.startswith(OLE2_MAGIC):
        return "xls"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    sample = raw[:65536]
    if b"\x00" in sample:
        raise RuleError(NOT_A_TABLE, field="file")
    # Text has few control characters besides tab and line breaks; binary files have many.
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    if controls > len(sample) // 100:
        raise RuleError(NOT_A_TABLE, field="file")
    return "csv"


def _zip_format(raw: bytes) -> str:
    """Tell an XLSX from an ODS from any other ZIP (a Word document, an archive)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = set(archive.namelist())
        expanded = sum(info.file_size for info in archive.infolist())
        mimetype = archive.read("mimetype").strip() if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, NotImplementedError):
        raise RuleError(NOT_A_TABLE, field="file") from None
    if expanded > MAX_UNCOMPRESSED_BYTES:
        raise RuleError(
            _l("The spreadsheet is too large once uncompressed: split it into several files."),
            field="file",
        )
    if mimetype == ODS_MIMETYPE:
        return "ods"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    raise RuleError(NOT_A_TABLE, field="file")


# --------------------------------------------------------------------------- text files


def _decode(raw: bytes) -> tuple[str, str]:
    """The text and the encoding's name: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252."""
    if raw.startswith(codecs.BOM_UTF8) and _is_utf8(raw[3:]):
        return raw[3:].decode("utf-8"), "UTF-8"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise RuleError(NOT_A_TABLE, field="file") from None
    if _is_utf8(raw):
        return raw.decode("utf-8"), "UTF-8"
    try:
        # Excel's "CSV (separator: semicolon)" on a French Windows writes Windows-1252.
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise RuleError(
            _l(
                "The file’s characters cannot be read. In your spreadsheet, save it as "
                "“CSV UTF-8” and send it again."
            ),
            field="file",
        ) from None


def _is_utf8(raw: bytes) -> bool:
    """True when the bytes are valid UTF-8 (plain ASCII included)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def guess_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most, and most regular, columns.

    Every candidate is tried with doubled quotes and quoted line breaks understood (the standard
    library's sniffer looks at characters only, and a header line alone misleads it).
    """
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        widths = []
        try:
            for record in reader:
                if record:
                    widths.append(len(record))
                if len(widths) >= SNIFF_RECORDS:
                    break
        except csv.Error:
            pass  # an unreadable record ends the sample; reading the file will report it
        if not widths or widths[0] < 2:
            continue
        regular = sum(1 for w in widths if w == widths[0]) / len(widths)
        score = (regular, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(decoded: tuple[str, str], max_rows: int) -> Table:
    """Split decoded text into rows, numbering each by the line it starts on."""
    text, encoding = decoded
    text = text.lstrip("\ufeff")
    delimiter = guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    table = Table(file_format="csv", columns=[], encoding=encoding, delimiter=delimiter)
    records = []
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            table.problems.append((start, _l("This line cannot be read: check its quotes.")))
            break
        records.append((start, record))
        start = reader.line_num + 1
        if len(records) > max_rows + 1:
            raise _too_many_rows(max_rows)
    _fill(table, records)
    return table


# --------------------------------------------------------------------------- workbooks


def _read_workbook(raw: bytes, kind: str, max_rows: int) -> Table:
    """The first sheet of an XLSX, ODS or XLS workbook, with formulas' computed values."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        if not workbook.sheet_names:
            raise RuleError(_l("The file is empty."), field="file")
        sheet = workbook.get_sheet_by_index(_first_visible_sheet(workbook))
        # total_height is the index of the last row the file declares: the header is row 0.
        if sheet.total_height > max_rows:
            raise _too_many_rows(max_rows)
        cells = sheet.to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError, zipfile.BadZipFile):
        raise RuleError(
            _l("The spreadsheet cannot be read: open it in your spreadsheet and save it again."),
            field="file",
        ) from None
    records = [(number, [cell_text(v) for v in row]) for number, row in enumerate(cells, 1)]
    table = Table(file_format=kind, columns=[])
    _fill(table, records)
    return table


def _first_visible_sheet(workbook) -> int:
    """The index of the sheet a person sees first (hidden sheets often hold lookup lists)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return index
    return 0


def cell_text(value) -> str:
    """A spreadsheet cell as the text a person reads in it (1985, not 1985.0; dates in ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


# --------------------------------------------------------------------------- both


#: What a cell loses on reading: control characters but tab and line breaks (a terminal's
#: escapes, NUL) and the bidi embeddings, overrides and isolates, which would reorder the text
#: of every page and export that shows the cell (“Trojan Source”, CVE-2021-42574).
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_cell(text: str) -> str:
    """A cell's text without invisible controls, and without spaces around."""
    return _INVISIBLE.sub("", text).strip()


def _fill(table: Table, records: list[tuple[int, list[str]]]) -> None:
    """Header from the first non-blank record; rows padded or checked against its width."""
    records = [(line, [clean_cell(c) for c in cells]) for line, cells in records]
    while records and not any(records[0][1]):
        records.pop(0)
    if not records:
        return
    header = records[0][1]
    while header and not header[-1]:
        header.pop()
    table.columns = header
    width = len(header)
    for line, cells in records[1:]:
        if not any(cells):
            continue
        if len(cells) > width and any(cells[width:]):
            table.problems.append(
                (line, _l("This line has more cells than the header has columns."))
            )
            continue
        table.rows.append((line, tuple(cells[:width] + [""] * (width - len(cells)))))


def column_letter(index: int) -> str:
    """A spreadsheet's column letter for a 0-based index: 0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _too_many_rows(max_rows: int) -> RuleError:
    """The refusal of a file longer than an import accepts."""
    return RuleError(
        _l("The file has too many rows (at most %(n)s): split it into several files.", n=max_rows),
        field="file",
    )
