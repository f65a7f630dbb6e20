"""The one allow-list for user rich text: applied when text is stored and again when rendered.

The allow-list is applied by nh3 (the Rust html5ever parser and the ammonia sanitiser behind it,
the maintained successor of bleach): about 20 µs a text where bleach's html5lib took 200 to 400.
Bare addresses are turned into links by bleach's linkifier, which parses again, so only a text in
which its address pattern finds something pays for it.
"""

import html as html_lib
import re
from typing import NamedTuple

import nh3
from bleach.html5lib_shim import HTML_TAGS_BLOCK_LEVEL
from bleach.linkifier import URL_RE, Linker
from markupsafe import Markup

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
#: Characters that are invisible or reorder text: control codes (but tab and line breaks), DEL
#: and C1 codes, bidirectional overrides and isolates ("facture\u202egnp.exe" shows as
#: "factureexe.png"), and byte-order marks. Removed before anything else looks at the text.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


def _blocks_opening(tags) -> re.Pattern:
    """The start tags of the block-level elements outside `tags`, after the text's start."""
    names = "|".join(sorted(HTML_TAGS_BLOCK_LEVEL - set(tags)))
    return re.compile(rf"(?<=.)<(?=(?:{names})\b)", re.IGNORECASE | re.DOTALL)


class _Policy(NamedTuple):
    """What `_nh3_clean` applies: nh3's settings, and the start tags of the block-level
    elements those settings remove."""

    settings: dict
    blocks: re.Pattern


#: The allow-list. A removed tag keeps its text (a participant's words are never dropped, even
#: those written inside <script>); every kept link gets our rel.
_ALLOW = _Policy(
    {
        "tags": set(ALLOWED_TAGS),
        "attributes": {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        "url_schemes": set(ALLOWED_PROTOCOLS),
        "link_rel": LINK_REL,
        "strip_comments": True,
        "clean_content_tags": set(),
    },
    _blocks_opening(ALLOWED_TAGS),
)
#: Every tag removed, its text kept: for the plain text of markup.
_NO_TAGS = _Policy({"tags": set(), "clean_content_tags": set()}, _blocks_opening(()))


def _nh3_clean(text: str, policy: _Policy) -> str:
    """nh3's clean, with two habits of bleach kept: a removed block-level element leaves a line
    break (as a browser shows it: "<div>Bonjour</div><div>Merci</div>" does not become
    "BonjourMerci"), and no-break spaces are written as the character, as they were typed and as
    the typography checks and the earlier stored texts have them (nh3 writes "&nbsp;")."""
    text = policy.blocks.sub("\n<", text)
    return nh3.clean(text, **policy.settings).replace("&nbsp;", "\u00a0")


def strip_invisible(text: str) -> str:
    """Remove control and bidirectional-override characters a person cannot see."""
    return _INVISIBLE.sub("", text)


def _set_rel(attrs, new=False):
    """Force rel="nofollow noopener" on every link the linkifier makes."""
    attrs[(None, "rel")] = LINK_REL
    return attrs


_linker = Linker(callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)


def clean_html(text: str | None) -> str:
    """Return the text with every tag, attribute and protocol outside the allow-list removed,
    and its bare web addresses made links."""
    if not text:
        return ""
    cleaned = _nh3_clean(strip_invisible(text), _ALLOW)
    # The linkifier looks for this pattern in the text between tags; where the whole decoded
    # markup has no match, no text of it has one and the markup is already what it would return.
    if URL_RE.search(html_lib.unescape(cleaned)) is None:
        return cleaned
    return _linker.linkify(cleaned)


def text_to_html(text: str | None) -> str:
    """Turn plain text (line breaks, no markup) into safe paragraphs: what was typed is shown as
    typed, a "<" or an "&amp;" included."""
    if not text:
        return ""
    text = strip_invisible(text.replace("\r\n", "\n"))
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    escaped = (html_lib.escape(p, quote=False) for p in paragraphs)
    return clean_html("".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in escaped))


def plain_text(markup: str | None) -> str:
    """Return only the text of sanitised HTML, for exports, search and word counts."""
    if not markup:
        return ""
    spaced = markup.replace("</p>", "</p>\n").replace("<br>", "\n")
    return html_lib.unescape(_nh3_clean(spaced, _NO_TAGS)).strip()


def rich(markup: str | None) -> Markup:
    """Jinja filter: sanitise again at render time and mark the result safe."""
    return Markup(clean_html(markup))  # noqa: S704 - the allow-list just cleaned it
