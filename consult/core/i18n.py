"""Languages: French first, English second; one translation catalogue per area."""

from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel.dates import format_skeleton
from babel.numbers import format_percent
from flask import current_app, g, has_request_context, request, session
from flask_babel import force_locale as babel_force_locale
from flask_babel import format_date, format_time, get_locale, get_translations
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from consult.core.clock import to_local


def _lazy_string_as_text(self) -> Markup:
    """A lazy message is text: escape it, with whatever was formatted into it.

    Flask-Babel's LazyString declares `__html__` as its plain value, so Jinja (and markupsafe,
    WTForms, the session's flash storage) took `_l("Line %(n)d: %(value)s", value=cell)` as
    markup and printed a CSV cell's `<script>` live. Our messages hold no markup, so every lazy
    message, in every template, form error and flash, is escaped like any string.
    """
    return escape(str(self))


LazyString.__html__ = _lazy_string_as_text

#: Where a request (its application context) keeps the translations of its language.
_REQUEST_TRANSLATIONS = "_consult_translations"


def translations():
    """The translations of the request's language (that of `force_locale` inside it).

    Flask-Babel finds them again for every message, through the request's context three times:
    a page of sixty messages paid most of a millisecond for it. Here they are found once per
    request (Flask-Babel's domain keeps each language's catalogue for the application) and kept
    for the rest of it; the language itself is still Flask-Babel's choice, and `force_locale`
    changes it for the messages of its block."""
    if not g:
        return get_translations()  # outside an application: the messages as written
    found = g.get(_REQUEST_TRANSLATIONS)
    if found is None:
        found = get_translations()
        setattr(g, _REQUEST_TRANSLATIONS, found)
    return found


@contextmanager
def force_locale(locale: str):
    """Flask-Babel's `force_locale`, for consult's messages too: inside the block they are in
    `locale`, after it in the request's language again."""
    outer = g.pop(_REQUEST_TRANSLATIONS, None) if g else None
    try:
        with babel_force_locale(locale):
            yield
    finally:
        if g:
            g.pop(_REQUEST_TRANSLATIONS, None)
            if outer is not None:
                setattr(g, _REQUEST_TRANSLATIONS, outer)


def gettext(string: str, **variables) -> str:
    """The message in the request's language, with the variables formatted into it."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """The message worded for `num` (given to it as ``%(num)d``) in the request's language."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """`gettext` when the message is shown (for messages declared at import time)."""
    return LazyString(gettext, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables) -> LazyString:
    """`ngettext` when the message is shown."""
    return LazyString(ngettext, singular, plural, num, **variables)


def install_gettext(app) -> None:
    """Templates translate with these functions too (in place of Flask-Babel's)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, num: translations().ungettext(singular, plural, num),
        newstyle=True,
    )


PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent


def select_locale() -> str:
    """The language chosen with the switch, else the browser's preference, else French."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # CLI commands, background jobs and services called outside a request speak French.
        return languages[0]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def areas() -> list[str]:
    """Every sub-package of consult (each may own a catalogue)."""
    return sorted(
        p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    )


def catalogue_dir(area: str) -> Path:
    """Where an area's translations live."""
    return PACKAGE_DIR / area / "translations"


def translation_directories() -> list[str]:
    """Every area's translation folder that exists, for Flask-Babel to merge."""
    return [str(catalogue_dir(a)) for a in areas() if catalogue_dir(a).is_dir()]


def sources(area: str) -> tuple[list[Path], list[Path]]:
    """Python files and templates whose strings belong to an area's catalogue."""
    python = sorted((PACKAGE_DIR / area).rglob("*.py"))
    templates = sorted((PROJECT_DIR / "templates" / area).rglob("*.html"))
    if area == "core":
        python += sorted(PACKAGE_DIR.glob("*.py"))
        templates += sorted((PROJECT_DIR / "templates").glob("*.html"))
    return python, templates


def content_language() -> str:
    """The language people write the platform's content in (titles, questions, answers)."""
    return current_app.config.get("CONTENT_LANGUAGE", "fr")


def written(text) -> Markup:
    """What people wrote (a title, a question) inside an interface sentence, marked with the
    language they write in, so that an English page has it read in French:
    `_("Minutes of “%(title)s”", title=written(meeting.title))`. Markup: not for <title>,
    <option> or attributes (see consult.core.forms.written_choices)."""
    return Markup('<span lang="{}">{}</span>').format(content_language(), text)


def english_count(number: int, singular: str, plural: str) -> str:
    """A count in the English of the `consult` commands, worded for its number ("1 reminder
    sent", "0 reminders sent"): commands speak to operators untranslated, and ngettext would
    put these words in the French catalogues."""
    return f"{number} {singular if number == 1 else plural}"


def format_moment(moment: datetime | None) -> str:
    """A stored naive-UTC moment in Paris time, in the one format pages use ("23 déc. 2026,
    08:01" in French, "23 Dec 2026, 08:01" in English)."""
    if not moment:
        return ""
    local = to_local(moment)
    return f"{format_date(local, 'medium')}, {format_time(local, 'HH:mm')}"


def format_day(day: date | None) -> str:
    """A calendar day in the same format as `format_moment` ("21 juin 2025")."""
    return format_date(day, "medium") if day else ""


def format_day_in_year(day: date) -> str:
    """A calendar day without its year, for a chart's axis: "23 déc." ("Dec 23" in English),
    the same day as `format_day` writes it."""
    return format_skeleton("MMMd", day, locale=get_locale() or "fr")


def format_rate(percentage: Decimal | None, places: int = 0) -> str:
    """A percentage already rounded to `places` (`analysis.rules.percent`) in the reader's
    language: "23,41 %" in French, "23.41%" in English; an unknown one reads "—"."""
    if percentage is None:
        return "—"
    # Babel writes the locale's pattern (its spacing); the value is not rounded a second time.
    return format_percent(
        Decimal(percentage) / 100, locale=get_locale() or "fr", decimal_quantization=False
    )
