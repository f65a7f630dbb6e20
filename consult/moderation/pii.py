"""Personal-data detector for French contributions: e-mails, phones, NIR, postal addresses.

Pure functions on strings. ``detect`` returns non-overlapping spans (start, end, kind) over plain
text; ``detect_in_markup`` does the same over sanitised HTML, looking at its text only, with
offsets that point into the markup. ``mask`` / ``mask_markup`` replace the
spans by a label, and ``highlight_markup`` wraps them for the moderator's view.
"""

from __future__ import annotations

import enum
import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser


class Kind(enum.StrEnum):
    """The kinds of personal data the detector recognises, by priority on overlap."""

    NIR = "nir"
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"


PRIORITY = {Kind.NIR: 0, Kind.EMAIL: 1, Kind.PHONE: 2, Kind.ADDRESS: 3}


@dataclass(frozen=True, order=True)
class Span:
    """A stretch of personal data: ``text[start:end]`` is of ``kind``."""

    start: int
    end: int
    kind: Kind

    def overlaps(self, other: Span) -> bool:
        """True when the two spans share at least one character."""
        return self.start < other.end and other.start < self.end


# --- e-mail ------------------------------------------------------------------------------------
# "[at]", "(at)" and " arobase " are the usual ways of dodging a naive filter.
_AT = r"(?:@|\s?[\[(]\s?(?:at|arobase)\s?[\])]\s?|\s(?:arobase|AROBASE)\s)"
_DOT = r"(?:\.|\s?[\[(]\s?(?:dot|point)\s?[\])]\s?)"
EMAIL_RE = re.compile(
    rf"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*{_AT}"
    rf"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:{_DOT}[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    rf"{_DOT}[A-Za-z]{{2,24}}(?![\w-])"
)

# --- phones ------------------------------------------------------------------------------------
_SEP = r"[ .\-\u00a0]?"
# National: 0 then 1-9 then four pairs ("06 12 34 56 78", "06.12.34.56.78", "0612345678").
PHONE_NATIONAL_RE = re.compile(rf"(?<![\d+])0{_SEP}[1-9](?:{_SEP}\d{{2}}){{4}}(?![\d])")
# International: +33 / 0033 (and overseas codes), optional "(0)", then nine digits.
PHONE_INTL_RE = re.compile(
    r"(?<![\d+])(?:\+|00)\s?(?:33|262|269|508|590|594|596|681|687|689)"
    rf"\s?(?:\(0\)\s?)?[1-9](?:{_SEP}\d{{2}}){{4}}(?![\d])"
)

# --- NIR (numéro de sécurité sociale): 13 characters + 2-digit key ----------------------------
_NSEP = r"[ .\-\u00a0]?"
NIR_RE = re.compile(
    r"(?<![\w])"
    rf"(?P<sex>[1-478]){_NSEP}(?P<year>\d{{2}}){_NSEP}(?P<month>0[1-9]|1[0-2]|[2-9]\d){_NSEP}"
    rf"(?P<dept>\d{{2}}|2[ABab]){_NSEP}(?P<commune>\d{{3}}){_NSEP}(?P<order>\d{{3}}){_NSEP}"
    r"(?P<key>\d{2})(?![\w])"
)


def nir_key(body: str) -> int:
    """Control key of a 13-character NIR body: 97 - (n mod 97), Corsica 2A/2B as 19/18."""
    body = body.upper()
    if body[5:7] == "2A":
        body = body[:5] + "19" + body[7:]
    elif body[5:7] == "2B":
        body = body[:5] + "18" + body[7:]
    if len(body) != 13 or not body.isdigit():
        raise ValueError(f"not a NIR body: {body!r}")
    return 97 - int(body) % 97


def is_valid_nir(value: str) -> bool:
    """True when ``value`` (separators allowed) is a NIR whose key matches its 13 characters."""
    match = NIR_RE.fullmatch(value.strip())
    if not match:
        return False
    parts = match.groupdict()
    body = "".join(parts[k] for k in ("sex", "year", "month", "dept", "commune", "order"))
    return nir_key(body) == int(parts["key"])


# --- postal addresses --------------------------------------------------------------------------
#: Street types that name nothing else in ordinary French after a house number.
STREET_TYPES_CLEAR = (
    "rue|avenue|av|boulevard|bd|bld|bvd|impasse|imp|allée|allee|quai|faubourg|fbg|lotissement"
    "|ruelle|venelle|rond-point|lieu-dit|chaussée|chaussee"
)
#: Street types that are also common nouns ("2 cours de yoga"): their name must be capitalised.
STREET_TYPES_AMBIGUOUS = (
    "place|pl|cours|route|rte|chemin|ch|voie|passage|square|sq|résidence|residence|cité|cite"
    "|mail|promenade|esplanade|parvis|villa|clos|hameau|traverse|montée|montee|sentier|quartier"
)
ADDRESS_HEAD_RE = re.compile(
    r"(?<![\w,.])(?P<number>\d{1,4})(?:\s?(?:bis|ter|quater|[A-Da-d])(?![\w]))?,?\s+"
    rf"(?P<type>{STREET_TYPES_CLEAR}|{STREET_TYPES_AMBIGUOUS})\.?(?![\w-])",
    re.IGNORECASE,
)
_AMBIGUOUS = frozenset(STREET_TYPES_AMBIGUOUS.split("|"))
_CONNECTORS = frozenset("de du des la le les l' d' l’ d’ aux au sur sous en lès lez".split())
_TOKEN_RE = re.compile(r"\s*(?P<tok>[dlDL]['’]|\d{1,4}(?![\d])|[^\W\d_][\w-]*(?:['’][\w-]+)?)")
_POSTCODE = r"(?P<postcode>(?:0[1-9]|[1-8]\d|9[0-8])\s?\d{3})(?!\d)"
_CITY = (
    r"(?P<city>[A-ZÀ-Ý][\w'’]*(?:-[\w'’]+)*(?:\s(?!CEDEX|Cedex)[A-ZÀ-Ý][\w'’]*(?:-[\w'’]+)*){0,2}"
    r"(?:\s+(?:CEDEX|Cedex|cedex)(?:\s\d{1,2})?)?)"
)
_POSTCODE_CITY_RE = re.compile(rf",?\s*{_POSTCODE}\s+{_CITY}")
#: "... à Paris (75002)", "..., Paris 75002": the city first, then its postcode.
_CITY_POSTCODE_RE = re.compile(
    rf"(?:,\s*|\s+[àa]\s+){_CITY}\s*,?\s*(?P<open>\()?{_POSTCODE}(?(open)\))"
)
#: A street type with no house number before it ("rue de la Paix"): an address only when a
#: postcode follows, with or before the city (a street named alone is common in opinions).
STREET_HEAD_RE = re.compile(
    rf"(?<![\w-])(?P<type>{STREET_TYPES_CLEAR}|{STREET_TYPES_AMBIGUOUS})\.?(?![\w-])",
    re.IGNORECASE,
)
MAX_NAME_TOKENS = 8


def _street_name_end(text: str, pos: int, ambiguous: bool) -> int | None:
    """Where the street name starting at ``pos`` ends, or None when there is no name."""
    end = None
    after_connector = False
    lowercase_used = False
    for _ in range(MAX_NAME_TOKENS):
        match = _TOKEN_RE.match(text, pos)
        if not match:
            break
        token = match.group("tok")
        lower = token.lower()
        if lower in _CONNECTORS:
            after_connector = True
            pos = match.end()
            continue
        if token[0].isupper():
            end = pos = match.end()
        elif token[0].isdigit() and after_connector:
            # "rue du 8 Mai 1945", "avenue du 11 Novembre"
            pos = match.end()
        elif token[0].isdigit() and end is not None and len(token) == 4:
            end = pos = match.end()
        elif after_connector and not ambiguous and not lowercase_used and token.isalpha():
            # "12 rue de la paix": one lower-case word after a connector, for clear types only.
            end = pos = match.end()
            lowercase_used = True
        else:
            break
        after_connector = False
    return end


def _addresses(text: str) -> Iterable[Span]:
    """Spans of "number + street type + name [postcode city]", and of "street type + name"
    when a postcode and a city follow ("rue de la Paix à Paris (75002)", "rue de la Paix,
    75002 Paris")."""
    for head in ADDRESS_HEAD_RE.finditer(text):
        ambiguous = head.group("type").lower() in _AMBIGUOUS
        end = _street_name_end(text, head.end(), ambiguous)
        if end is None:
            continue
        tail = _POSTCODE_CITY_RE.match(text, end) or _CITY_POSTCODE_RE.match(text, end)
        if tail:
            end = tail.end()
        yield Span(head.start(), end, Kind.ADDRESS)
    for head in STREET_HEAD_RE.finditer(text):
        ambiguous = head.group("type").lower() in _AMBIGUOUS
        end = _street_name_end(text, head.end(), ambiguous)
        if end is None:
            continue
        tail = _POSTCODE_CITY_RE.match(text, end) or _CITY_POSTCODE_RE.match(text, end)
        if tail:  # without a number, only a postcode makes it an address
            yield Span(head.start(), tail.end(), Kind.ADDRESS)


def _candidates(text: str) -> Iterable[Span]:
    """Every match of every kind, overlapping ones included."""
    for match in NIR_RE.finditer(text):
        if is_valid_nir(match.group(0)):
            yield Span(match.start(), match.end(), Kind.NIR)
    for match in EMAIL_RE.finditer(text):
        yield Span(match.start(), match.end(), Kind.EMAIL)
    for regex in (PHONE_NATIONAL_RE, PHONE_INTL_RE):
        for match in regex.finditer(text):
            yield Span(match.start(), match.end(), Kind.PHONE)
    yield from _addresses(text)


def detect(text: str) -> list[Span]:
    """Non-overlapping personal-data spans in ``text``, in reading order."""
    chosen: list[Span] = []
    ranked = sorted(_candidates(text), key=lambda s: (PRIORITY[s.kind], s.start - s.end, s.start))
    for span in ranked:
        if not any(span.overlaps(kept) for kept in chosen):
            chosen.append(span)
    return sorted(chosen)


#: A link's target or title inside a tag of sanitised HTML (the serialiser quotes with ").
_ATTRIBUTE_RE = re.compile(r'\s(?:href|title)="(?P<value>[^"]*)"', re.I)
#: Tags that separate text (a newline stands for them); other tags are transparent.
_BLOCK_TAG_RE = re.compile(r"</?(?:p|br|li|ul|ol|div|h[1-6]|blockquote|pre|tr|td|th|table)\b", re.I)


def _text_of_markup(markup: str) -> tuple[str, list[int]]:
    """The text of ``markup`` and, for each of its characters, its offset in the markup."""
    chars: list[str] = []
    offsets: list[int] = []
    for start, end, is_tag in _pieces(markup):
        if not is_tag:
            chars.extend(markup[start:end])
            offsets.extend(range(start, end))
        elif _BLOCK_TAG_RE.match(markup, start):
            chars.append("\n")
            offsets.append(start)
    return "".join(chars), offsets


def detect_in_markup(markup: str) -> list[Span]:
    """Personal-data spans in the text of sanitised HTML; offsets point into ``markup``.

    Inline tags are transparent ("<em>06</em> 12 ..." is one phone), block tags separate text.
    """
    text, offsets = _text_of_markup(markup)
    spans = [
        Span(offsets[span.start], offsets[span.end - 1] + 1, span.kind) for span in detect(text)
    ]
    # A link's target or title can carry data the reader never sees ("mailto:...").
    for start, end, is_tag in _pieces(markup):
        if not is_tag:
            continue
        for attr in _ATTRIBUTE_RE.finditer(markup, start, end):
            base = attr.start("value")
            spans.extend(
                Span(base + span.start, base + span.end, span.kind)
                for span in detect(attr.group("value"))
            )
    return sorted(spans)


#: Labels a mask uses when the caller gives none (services pass translated ones).
DEFAULT_LABELS: Mapping[Kind, str] = {
    Kind.NIR: "[NIR]",
    Kind.EMAIL: "[e-mail]",
    Kind.PHONE: "[téléphone]",
    Kind.ADDRESS: "[adresse]",
}


def mask(text: str, spans: Iterable[Span], labels: Mapping[Kind, str] = DEFAULT_LABELS) -> str:
    """``text`` with each span replaced by its kind's label."""
    out, pos = [], 0
    for span in sorted(spans):
        out.append(text[pos : span.start])
        out.append(labels[span.kind])
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


class _Tokens(HTMLParser):
    """Where each tag and each run of text starts, as an HTML parser reads the markup.

    A parser, not a pattern: an attribute value may hold ">" (`<a title="x>">`), which a
    regular expression would take for the end of the tag, and highlight inside the attribute.
    """

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=False)
        self.line_starts = [0]
        for number, char in enumerate(markup):
            if char == "\n":
                self.line_starts.append(number + 1)
        self.starts: list[tuple[int, bool]] = []
        self.feed(markup)
        self.close()

    def _mark(self, is_tag: bool) -> None:
        line, column = self.getpos()
        self.starts.append((self.line_starts[line - 1] + column, is_tag))

    def handle_starttag(self, tag, attrs):
        self._mark(True)

    def handle_startendtag(self, tag, attrs):
        self._mark(True)

    def handle_endtag(self, tag):
        self._mark(True)

    def handle_comment(self, data):
        self._mark(True)

    def handle_decl(self, decl):
        self._mark(True)

    def handle_pi(self, data):
        self._mark(True)

    def unknown_decl(self, data):
        self._mark(True)

    def handle_data(self, data):
        self._mark(False)

    def handle_entityref(self, name):
        self._mark(False)

    def handle_charref(self, name):
        self._mark(False)


def _pieces(markup: str) -> list[tuple[int, int, bool]]:
    """Split markup into (start, end, is_tag) pieces: tags, and the text nodes between them."""
    starts = _Tokens(markup).starts
    pieces = []
    for index, (start, is_tag) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(markup)
        if end <= start:
            continue
        if pieces and not is_tag and not pieces[-1][2] and pieces[-1][1] == start:
            pieces[-1] = (pieces[-1][0], end, False)  # one text node, however it was fed
        else:
            pieces.append((start, end, is_tag))
    return pieces


def _rewrite_markup(
    markup: str,
    spans: Iterable[Span],
    on_text: Callable[[str, Span | None, bool], str],
    on_tag: Callable[[str, int, list[Span]], str] = lambda tag, start, inside: tag,
) -> str:
    """Walk ``markup``: ``on_text(chunk, span, first)`` per text chunk, ``on_tag`` per tag."""
    ordered = sorted(spans)
    out = []
    started: set[Span] = set()
    for start, end, is_tag in _pieces(markup):
        if is_tag:
            inside = [s for s in ordered if start <= s.start and s.end <= end]
            out.append(on_tag(markup[start:end], start, inside))
            continue
        pos = start
        for span in ordered:
            if span.end <= pos or span.start >= end:
                continue
            if span.start > pos:
                out.append(on_text(markup[pos : span.start], None, False))
                pos = span.start
            chunk_end = min(span.end, end)
            out.append(on_text(markup[pos:chunk_end], span, span not in started))
            started.add(span)
            pos = chunk_end
        if pos < end:
            out.append(on_text(markup[pos:end], None, False))
    return "".join(out)


def mask_markup(
    markup: str, spans: Iterable[Span], labels: Mapping[Kind, str] = DEFAULT_LABELS
) -> str:
    """Sanitised HTML with each span replaced by its label, tags left in place.

    Spans inside a tag (a link target) are replaced there too; the caller sanitises the result
    again, which drops a link target the mask made meaningless.
    """

    def on_text(chunk: str, span: Span | None, first: bool) -> str:
        if span is None:
            return chunk
        return html.escape(labels[span.kind], quote=False) if first else ""

    def on_tag(tag: str, start: int, inside: list[Span]) -> str:
        shifted = [Span(s.start - start, s.end - start, s.kind) for s in inside]
        escaped = {kind: html.escape(label, quote=True) for kind, label in labels.items()}
        return mask(tag, shifted, escaped)

    return _rewrite_markup(markup, spans, on_text, on_tag)


def highlight_markup(markup: str, spans: Iterable[Span], wrap: Callable[[str, Kind], str]) -> str:
    """Sanitised HTML with each span's text passed through ``wrap(chunk, kind)``.

    Spans inside tags cannot be highlighted in place; callers list them beside the text.
    """

    def on_text(chunk: str, span: Span | None, first: bool) -> str:
        return chunk if span is None else wrap(chunk, span.kind)

    return _rewrite_markup(markup, spans, on_text)
