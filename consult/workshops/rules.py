"""Pure rules of co-writing workshops: phases, saving a version, differences, anchoring."""

import difflib
import re
from dataclasses import dataclass

from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.sanitize import clean_html, plain_text

PHASES = ("draft", "write", "comment", "finalise", "published")
SENTIMENTS = ("like", "worry", "idea")
#: Stories change while writing and finalising; comments come in between.
EDITABLE = ("write", "finalise")
COMMENTABLE = ("comment",)
MAX_STORY_LENGTH = 30_000
MAX_COMMENT_LENGTH = 2_000
#: A comment follows its paragraph when the new text still resembles the old one this much.
ANCHOR_THRESHOLD = 0.6
_HAS_BLOCKS = re.compile(r"<(p|ul|ol)\b", re.I)
_BLOCK = re.compile(r"<(p|ul|ol)\b[^>]*>.*?</\1>", re.S)


def next_phase(current: str, target: str) -> str:
    """Move one step forward, or back from comment to write; published is final."""
    if target not in PHASES:
        raise RuleError(_l("Unknown phase."))
    if current == "published":
        raise RuleError(_l("A published workshop no longer changes phase."))
    step = PHASES.index(target) - PHASES.index(current)
    if step == 1 or (current == "comment" and target == "write"):
        return target
    raise RuleError(_l("The workshop moves one phase at a time."))


def edit_refusal(phase: str):
    """Why a story cannot be edited in this phase, or None."""
    if phase in EDITABLE:
        return None
    if phase == "comment":
        return _l("Stories are being read and commented: writing resumes in the finalise phase.")
    if phase == "published":
        return _l("The stories are published and can no longer change.")
    return _l("Writing has not started yet.")


def comment_refusal(phase: str):
    """Why nobody may comment in this phase, or None."""
    if phase in COMMENTABLE:
        return None
    return _l("Comments are open during the comment phase only.")


def clean_story(text: str | None) -> str:
    """The story as safe HTML (core's allow-list), refusing an empty or oversized one."""
    text = (text or "").strip().replace("\r\n", "\n")
    if _HAS_BLOCKS.search(text):
        html = clean_html(text)
    else:
        # Paragraphs separated by empty lines; inline marks of the allow-list are kept.
        blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
        html = "".join(f"<p>{clean_html(b).replace(chr(10), '<br>')}</p>" for b in blocks)
    length = len(plain_text(html))
    if length == 0:
        raise RuleError(_l("The story is empty."), "body")
    if length > MAX_STORY_LENGTH:
        raise RuleError(
            _l(
                "The story is too long (%(length)d characters; at most %(max)d).",
                length=length,
                max=MAX_STORY_LENGTH,
            ),
            "body",
        )
    return html


def check_base(base_version: int | None, current_version: int) -> None:
    """Optimistic merge rule: a save must start from the latest version, or it is a conflict."""
    if base_version is None or base_version != current_version:
        raise Conflict(current_version)


class Conflict(RuleError):
    """Someone saved a newer version since this person started editing."""

    def __init__(self, current_version: int):
        super().__init__(
            _l(
                "Someone saved version %(n)d while you were writing: your text is kept below,"
                " next to theirs. Merge them and save again.",
                n=current_version,
            )
        )
        self.current_version = current_version


def paragraphs(html: str) -> list[str]:
    """The story's blocks (paragraphs and lists) as sanitised HTML, in order."""
    blocks = [m.group(0) for m in _BLOCK.finditer(html or "")]
    if not blocks and plain_text(html):
        blocks = [html]
    return blocks


def paragraph_texts(html: str) -> list[str]:
    """The plain text of each block."""
    return [plain_text(block) for block in paragraphs(html)]


def reanchor(anchor_text: str, old_index: int, texts: list[str]) -> int | None:
    """Where a comment on a paragraph belongs in a changed text, or None when it is gone.

    The same text wins (the nearest to its old place if it appears twice); otherwise the most
    similar paragraph, if similar enough.
    """
    exact = [i for i, text in enumerate(texts) if text == anchor_text]
    if exact:
        return min(exact, key=lambda i: abs(i - old_index))
    best, best_ratio = None, 0.0
    for index, text in enumerate(texts):
        ratio = difflib.SequenceMatcher(None, anchor_text, text, autojunk=False).ratio()
        if ratio > best_ratio or (
            ratio == best_ratio
            and best is not None
            and abs(index - old_index) < abs(best - old_index)
        ):
            best, best_ratio = index, ratio
    return best if best_ratio >= ANCHOR_THRESHOLD else None


@dataclass(frozen=True)
class Piece:
    """A run of words in a difference: "equal", "insert" or "delete"."""

    kind: str
    text: str


@dataclass(frozen=True)
class DiffBlock:
    """One paragraph of a difference: unchanged, added, removed, or changed (word by word)."""

    kind: str
    pieces: tuple[Piece, ...]


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def _word_diff(old: str, new: str) -> tuple[Piece, ...]:
    """Word-level difference of two paragraphs."""
    a, b = _words(old), _words(new)
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                pieces.append(Piece("delete", "".join(a[i1:i2])))
            if j2 > j1:
                pieces.append(Piece("insert", "".join(b[j1:j2])))
    return tuple(pieces)


def diff(old_texts: list[str], new_texts: list[str]) -> list[DiffBlock]:
    """A readable difference between two versions, paragraph by paragraph then word by word."""
    blocks = []
    matcher = difflib.SequenceMatcher(None, old_texts, new_texts, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            blocks += [DiffBlock("equal", (Piece("equal", t),)) for t in old_texts[i1:i2]]
        elif op == "replace" and i2 - i1 == j2 - j1:
            for old, new in zip(old_texts[i1:i2], new_texts[j1:j2], strict=True):
                blocks.append(DiffBlock("change", _word_diff(old, new)))
        else:
            blocks += [DiffBlock("delete", (Piece("delete", t),)) for t in old_texts[i1:i2]]
            blocks += [DiffBlock("insert", (Piece("insert", t),)) for t in new_texts[j1:j2]]
    return blocks


_OTHER_TAGS = re.compile(r"<(?!/?(p|br)\b)[a-z/]", re.I)


def editable_text(html: str) -> str:
    """What the editor shows: plain paragraphs when the story has no other mark, else HTML."""
    if not html or _OTHER_TAGS.search(html):
        return html or ""
    return "\n\n".join(paragraph_texts(html))
