"""French typography for translated text: non-breaking spaces, quotes and apostrophes.

French puts a non-breaking space before « : ; ? ! » and inside « », and writes the apostrophe ’.
`consult i18n refresh` applies `french()` to every French translation, and `problems()` names
the ones that break the rules (`consult i18n check`, tests/core/test_typography.py).
HTML tags, placeholders (%(name)s, {name}) and addresses (https://, ?page=) are left alone.
"""

import re

NBSP = "\u00a0"
NNBSP = "\u202f"
_SPACES = NBSP + NNBSP
#: What the rules leave untouched: tags, placeholders, addresses, times (10:42), e-mail addresses.
_PROTECTED = re.compile(
    r"<[^>]*>"  # HTML tags and their attributes
    r"|%\(\w+\)[sdfr]|%[sdf]|\{\w*\}"  # placeholders
    r"|\b[a-z][a-z0-9+.-]*://\S*"  # addresses
    r"|\S+@\S+"  # e-mail addresses
    r"|\d+:\d+"  # times and ratios
)
_HIGH_PUNCTUATION = re.compile(rf"[ \t{_SPACES}]*([;:?!]+)(?=\s|$|[»”)\].,])")
_OPENING = re.compile(rf"«[ \t{_SPACES}]*")
_CLOSING = re.compile(rf"[ \t{_SPACES}]*»")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w|%\(|\{)")


def _plain(text: str) -> str:
    """The rules, on text without tags or placeholders."""
    text = _APOSTROPHE.sub("’", text)
    text = _OPENING.sub("«" + NBSP, text)
    text = _CLOSING.sub(NBSP + "»", text)

    def space_before(match: re.Match) -> str:
        start = match.start()
        if start == 0 and not match.group(0)[0].isspace():
            return match.group(0)  # punctuation opening a fragment: its space is outside
        return NBSP + match.group(1)

    return _HIGH_PUNCTUATION.sub(space_before, text)


def french(text: str) -> str:
    """`text` with French typography; placeholders, tags and addresses unchanged."""
    if not text:
        return text
    parts, last = [], 0
    for match in _PROTECTED.finditer(text):
        parts.append(_plain(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_plain(text[last:]))
    result = "".join(parts)
    # A placeholder followed by punctuation ("%(title)s ?", "%(label)s:") across the split.
    result = re.sub(r"(%\(\w+\)[sdfr]|\{\w*\})[ \t]*([;:?!]+(?=\s|$)|»)", rf"\1{NBSP}\2", result)
    result = re.sub(r"(?<=\w)'(?=%\(|\{)", "’", result)
    return re.sub(r"«[ \t]*(%\(\w+\)[sdfr]|\{\w*\})", rf"«{NBSP}\1", result)


def problems(text: str) -> list[str]:
    """What breaks French typography in `text` (empty when `french()` has nothing to change)."""
    if not text or french(text) == text:
        return []
    return [f"{text!r} should read {french(text)!r}"]
