"""What an attached file really is, read from its content (pure: bytes in, a verdict out).

A file's name and the type a browser claims are only hints: a ".pdf" must start like a PDF, a
".xlsx" must be a ZIP holding an Office workbook, a ".csv" must be text. Anything else is refused
with a message that says what was expected.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class FileType:
    """An accepted type: its media type and a short name for people."""

    media_type: str
    label: str


PDF = FileType("application/pdf", "PDF")
PNG = FileType("image/png", "PNG")
JPEG = FileType("image/jpeg", "JPEG")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "ODS")
ODT = FileType("application/vnd.oasis.opendocument.text", "ODT")
CSV = FileType("text/csv", "CSV")
TXT = FileType("text/plain", "TXT")

#: extension → the type its content must have
BY_EXTENSION = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "xlsx": XLSX,
    "docx": DOCX,
    "ods": ODS,
    "odt": ODT,
    "csv": CSV,
    "txt": TXT,
}


def accepted_extensions() -> str:
    """The accepted extensions, for the form's hint and the input's accept attribute."""
    return ", ".join(f".{ext}" for ext in BY_EXTENSION)


def _zip_kind(content: bytes) -> FileType | None:
    """The Office or OpenDocument type a ZIP holds, if any."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return {ODS.media_type: ODS, ODT.media_type: ODT}.get(declared)
            if "[Content_Types].xml" in names:
                if any(name.startswith("xl/") for name in names):
                    return XLSX
                if any(name.startswith("word/") for name in names):
                    return DOCX
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return None
    return None


def _is_text(content: bytes) -> bool:
    """UTF-8 text without control characters other than tabs and line ends."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text)


def sniff(content: bytes) -> FileType | None:
    """The type the content shows, whatever its name says."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    return TXT if _is_text(content) else None


_UNSAFE = re.compile(r"[^\w.\- ()]+")


def clean_filename(name: str) -> str:
    """A file name safe to show and to offer on download (no path, no control character)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = _UNSAFE.sub("_", base).strip(" .") or "fichier"
    return base[-120:]


def check_attachment(name: str, content: bytes, max_bytes: int) -> FileType:
    """Accept a file whose size is allowed and whose content matches its extension."""
    if not content:
        raise RuleError(_l("The file is empty."), field="file")
    if len(content) > max_bytes:
        raise RuleError(
            _l(
                "The file is too large (%(size)s kB; at most %(max)s kB).",
                size=(len(content) + 1023) // 1024,
                max=max_bytes // 1024,
            ),
            field="file",
        )
    extension = clean_filename(name).rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = BY_EXTENSION.get(extension)
    if expected is None:
        raise RuleError(
            _l(
                "This type of file is not accepted; accepted: %(types)s.",
                types=accepted_extensions(),
            ),
            field="file",
        )
    found = sniff(content)
    if expected in (CSV, TXT):
        matches = found is TXT
    else:
        matches = found is expected
    if not matches:
        raise RuleError(
            _l(
                "The content of this file is not %(type)s, whatever its name says.",
                type=expected.label,
            ),
            field="file",
        )
    return expected
