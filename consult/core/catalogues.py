"""Extract, merge and compile each area's French catalogue (`consult i18n refresh`)."""

import io
import re
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from consult.core import typography
from consult.core.i18n import PROJECT_DIR, areas, catalogue_dir, sources

KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "_n": (1, 2),
    "lazy_ngettext": (1, 2),
}
LOCALE = "fr"
#: Fixed dates keep the files stable between refreshes (git shows only real changes).
STAMP = datetime(2026, 1, 1)
#: French plurals as gettext counts them. Flask-Babel merges every area's catalogue under the
#: rule of the first one it loads, so all must agree; recent Babel releases propose CLDR's three
#: forms for a new French catalogue, which would make "%(num)d volunteers" untranslated.
PLURALS = (2, "(n > 1)")


def extract(area: str) -> Catalog:
    """Every translatable string written in an area's Python files and templates."""
    template = Catalog(project="consult", locale=None, creation_date=STAMP)
    python, templates = sources(area)
    for method, files in (("python", python), (babel_extract, templates)):
        options = {"extensions": "jinja2.ext.do"} if method is babel_extract else {}
        for path in files:
            for lineno, message, comments, context in extract_from_file(
                method, str(path), keywords=KEYWORDS, options=options
            ):
                template.add(
                    message,
                    locations=[(str(path.relative_to(PROJECT_DIR)), lineno)],
                    auto_comments=comments,
                    context=context,
                )
    return template


def po_path(area: str) -> Path:
    """The French .po file of an area."""
    return catalogue_dir(area) / LOCALE / "LC_MESSAGES" / "messages.po"


def load(area: str) -> Catalog | None:
    """The area's current French catalogue, if it has one."""
    path = po_path(area)
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=LOCALE)


def messages(catalog: Catalog) -> dict[object, object]:
    """What a catalogue translates (id to translation), fuzzy and empty entries left out."""
    return {
        # read_po gives plural forms as a list, read_mo as a tuple
        (m.context, tuple(m.id) if isinstance(m.id, list | tuple) else m.id): (
            tuple(m.string) if isinstance(m.string, list | tuple) else m.string
        )
        for m in catalog
        if is_translated(m)
    }


def is_translated(message) -> bool:
    """Whether a message has a French translation that is not fuzzy (every plural form too)."""
    string = message.string
    return (
        bool(message.id)
        and not message.fuzzy
        and bool(all(string) if isinstance(string, list | tuple) else string)
    )


def is_stale(mo: Path, catalog: Catalog) -> bool:
    """Whether the compiled .mo translates other messages than the .po says.

    Only the messages count: another Babel release may write other header bytes for the same
    translations, and that is not stale.
    """
    if not mo.exists():
        return True
    with mo.open("rb") as f:
        return messages(read_mo(f)) != messages(catalog)


def compiled(catalog: Catalog) -> bytes:
    """The .mo bytes of a catalogue (fuzzy entries left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def refresh(area: str) -> list[str]:
    """Merge new strings into the area's .po (keeping translations), compile it; return gaps."""
    template = extract(area)
    catalog = load(area)
    if not len(template) and catalog is None:
        return []
    if catalog is None:
        catalog = Catalog(project="consult", locale=LOCALE, creation_date=STAMP)
    if (catalog.num_plurals, catalog.plural_expr) != PLURALS:
        catalog._num_plurals, catalog._plural_expr = PLURALS
        for message in catalog:
            if isinstance(message.string, list | tuple):
                # French's extra CLDR form repeats the plural: the first two are the forms.
                message.string = tuple(message.string[: PLURALS[0]])
    catalog.update(template, no_fuzzy_matching=True)
    for message in catalog:
        if message.id and message.string:
            message.string = _french(message.string)
    catalog.obsolete.clear()
    catalog.revision_date = STAMP
    path = po_path(area)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        # File names without line numbers: editing a file does not rewrite the catalogue.
        write_po(f, catalog, omit_header=False, sort_output=True, width=100, include_lineno=False)
    path.with_suffix(".mo").write_bytes(compiled(load(area)))
    return untranslated(area)


def _french(string):
    """French typography on a translation (each plural form of it)."""
    if isinstance(string, list | tuple):
        return tuple(typography.french(form) for form in string)
    return typography.french(string)


def untranslated(area: str) -> list[str]:
    """Messages of an area with no French translation (or a fuzzy one)."""
    catalog = load(area)
    if catalog is None:
        return []
    return [str(m.id) for m in catalog if m.id and not is_translated(m)]


def problems() -> list[str]:
    """Everything wrong with the catalogues: missing strings, gaps, stale .mo, plural rules."""
    found = []
    for area in areas():
        template = extract(area)
        catalog = load(area)
        known = {m.id for m in catalog} if catalog is not None else set()
        missing = [str(m.id) for m in template if m.id and m.id not in known]
        found += [f"{area}: not in the catalogue: {m!r}" for m in missing]
        found += [f"{area}: no French translation: {m!r}" for m in untranslated(area)]
        if catalog is not None and is_stale(po_path(area).with_suffix(".mo"), catalog):
            found.append(f"{area}: messages.mo is stale: run `consult i18n refresh`")
        if catalog is not None and (catalog.num_plurals, catalog.plural_expr) != PLURALS:
            found.append(
                f"{area}: {catalog.num_plurals} plural forms instead of French's 2: run "
                "`consult i18n refresh` and translate the plurals it marks"
            )
        if catalog is not None:
            found += _style(area, catalog)
    return found + conflicts()


#: "ligne(s)", "refusée(s)", "line(s)": a count written for both numbers at once.
_BRACKET_PLURAL = re.compile(r"\w\((?:e?s|x)\)")


def bracket_plurals(message) -> list[str]:
    """The « invitation(s) »-style plurals of a message, in English or French (ngettext
    writes the form the number needs)."""
    texts = []
    for part in (message.id, message.string):
        texts += list(part) if isinstance(part, list | tuple) else [part or ""]
    return [found for text in texts for found in _BRACKET_PLURAL.findall(text)]


def _style(area: str, catalog: Catalog) -> list[str]:
    """Translations that break French typography; `consult i18n refresh` corrects them."""
    found = []
    for message in catalog:
        if message.id and message.string and _french(message.string) != message.string:
            found.append(
                f"{area}: French typography in {message.string!r}: run `consult i18n refresh`"
                " (non-breaking space before : ; ? ! and inside « », apostrophe ’)"
            )
        if message.id and bracket_plurals(message):
            found.append(f"{area}: {message.id!r} writes a plural in brackets: use ngettext")
    return found


def conflicts() -> list[str]:
    """Messages translated differently by two areas (Flask-Babel merges them: one would lose)."""
    seen: dict[object, tuple[str, object]] = {}
    found = []
    for area in areas():
        for message in load(area) or ():
            if not message.id or not message.string:
                continue
            if message.id in seen and seen[message.id][1] != message.string:
                found.append(
                    f"{area}: {message.id!r} is translated differently in {seen[message.id][0]}:"
                    " reword one of them or use the same translation"
                )
            seen.setdefault(message.id, (area, message.string))
    return found


def refresh_all() -> dict[str, list[str]]:
    """Refresh every area's catalogue; return the untranslated messages by area."""
    return {area: refresh(area) for area in areas()}
