"""The one allow-list for user rich text: applied when text is stored and again when rendered."""

import html as html_lib
import re

import bleach
from bleach.linkifier import Linker
from markupsafe import Markup

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
#: Characters that are invisible or reorder text: control codes (but tab and line breaks), DEL
#: and C1 codes, bidirectional overrides and isolates ("facture\u202egnp.exe" shows as
#: "factureexe.png"), and byte-order marks. Removed before anything else looks at the text.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


def strip_invisible(text: str) -> str:
    """Remove control and bidirectional-override characters a person cannot see."""
    return _INVISIBLE.sub("", text)


def _set_rel(attrs, new=False):
    """Force rel="nofollow noopener" on every link a participant writes."""
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
)
_linker = Linker(callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)


def clean_html(text: str | None) -> str:
    """Return the text with every tag, attribute and protocol outside the allow-list removed."""
    if not text:
        return ""
    cleaned = _cleaner.clean(strip_invisible(text))
    # Linkify also passes existing <a> through the callback, so every link gets our rel.
    return _linker.linkify(cleaned)


def text_to_html(text: str | None) -> str:
    """Turn plain text (line breaks, no markup) into safe paragraphs."""
    if not text:
        return ""
    text = strip_invisible(text.replace("\r\n", "\n"))
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    escaped = (bleach.clean(p, tags=set(), strip=False) for p in paragraphs)
    return clean_html("".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in escaped))


def plain_text(markup: str | None) -> str:
    """Return only the text of sanitised HTML, for exports, search and word counts."""
    if not markup:
        return ""
    spaced = markup.replace("</p>", "</p>\n").replace("<br>", "\n")
    return html_lib.unescape(bleach.clean(spaced, tags=set(), strip=True)).strip()


def rich(markup: str | None) -> Markup:
    """Jinja filter: sanitise again at render time and mark the result safe."""
    return Markup(clean_html(markup))  # noqa: S704 - the allow-list just cleaned it
