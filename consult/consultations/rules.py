"""Pure rules of a consultation: its window, who may answer, what an answer may be."""

import re
from datetime import datetime, timedelta

from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.sanitize import clean_html, plain_text, text_to_html

DRAFT, SCHEDULED, OPEN, CLOSED = "draft", "scheduled", "open", "closed"
#: How far in the past an opening may be typed (the time it takes to fill in the form).
OPENING_GRACE = timedelta(minutes=5)
MAX_TITLE_LENGTH = 200
MAX_WORD_LENGTH = 40
_WORD_SPLIT = re.compile(r"[,;\n]+|\s+")


def phase(status: str, opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """Where a consultation stands for participants: draft, scheduled, open or closed."""
    if status == "draft":
        return DRAFT
    if status == "closed" or now >= closes_at:
        return CLOSED
    if now < opens_at:
        return SCHEDULED
    return OPEN


def check_window(
    opens_at: datetime | None,
    closes_at: datetime | None,
    now: datetime,
    *,
    opening_may_be_past: bool = False,
) -> None:
    """Refuse a window that is missing, reversed, or opens in the past."""
    if opens_at is None:
        raise RuleError(_l("Give the opening date and time."), field="opens_at")
    if closes_at is None:
        raise RuleError(_l("Give the closing date and time."), field="closes_at")
    if not opening_may_be_past and opens_at < now - OPENING_GRACE:
        raise RuleError(_l("The opening date and time is in the past."), field="opens_at")
    if closes_at <= opens_at:
        raise RuleError(_l("The consultation must close after it opens."), field="closes_at")


def is_eligible(population_id: int | None, invited: frozenset[int] | set[int]) -> bool:
    """True when a person's population is among those invited to the consultation."""
    return population_id is not None and population_id in invited


def answer_refusal(current_phase: str, eligible: bool):
    """Why a person may not answer (or edit, or withdraw) now, or None when they may."""
    if not eligible:
        return _l("This consultation is not open to your population.")
    if current_phase == SCHEDULED:
        return _l("This consultation is not open yet.")
    if current_phase in (CLOSED, DRAFT):
        return _l("This consultation is closed: answers can no longer be changed.")
    return None


def clean_open_answer(text: str | None, max_length: int) -> str:
    """Return the answer as safe HTML, or refuse an empty or oversized one."""
    text = (text or "").strip()
    if not text:
        raise RuleError(_l("Your answer is empty."), field="answer")
    if "<" in text:
        html = clean_html(text)
    else:
        html = text_to_html(text)
    length = len(plain_text(html))
    if length == 0:
        raise RuleError(_l("Your answer is empty."), field="answer")
    if length > max_length:
        raise RuleError(
            _l(
                "Your answer is too long (%(length)d characters; at most %(max)d).",
                length=length,
                max=max_length,
            ),
            field="answer",
        )
    return html


def parse_words(text: str | None, max_words: int) -> str:
    """Return the few words typed, separated by commas, or refuse too many or too long words."""
    words = [w for w in _WORD_SPLIT.split((text or "").strip()) if w]
    if not words:
        raise RuleError(_l("Type at least one word."), field="answer")
    if len(words) > max_words:
        raise RuleError(
            _l("Type at most %(n)d words (you typed %(count)d).", n=max_words, count=len(words)),
            field="answer",
        )
    if any(len(w) > MAX_WORD_LENGTH for w in words):
        raise RuleError(_l("One of the words is too long."), field="answer")
    if any("<" in w or ">" in w for w in words):
        raise RuleError(_l("Words cannot contain < or >."), field="answer")
    return ", ".join(words)


def check_choices(kind: str, chosen_ids: list[int], allowed_ids: set[int]) -> list[int]:
    """Return the chosen options, refusing none, unknown ones, or several on a single choice."""
    chosen = list(dict.fromkeys(chosen_ids))
    if not chosen:
        raise RuleError(_l("Choose an answer."), field="answer")
    if any(c not in allowed_ids for c in chosen):
        raise RuleError(_l("Choose among the proposed answers."), field="answer")
    if kind == "single" and len(chosen) > 1:
        raise RuleError(_l("Choose only one answer."), field="answer")
    return chosen


def next_reaction(current: int | None, requested: int) -> int | None:
    """Reacting again with the same value takes the reaction back; another value replaces it."""
    if requested not in (-1, 1):
        raise RuleError(_l("Unknown reaction."))
    return None if current == requested else requested
