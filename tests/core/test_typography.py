"""French typography: every French translation follows the rules, and plurals are French."""

import pytest

from consult.core import catalogues
from consult.core.i18n import areas, ngettext
from consult.core.typography import NBSP, french, problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pourquoi existons-nous ?", f"Pourquoi existons-nous{NBSP}?"),
        ("Attention: fini; merci!", f"Attention{NBSP}: fini{NBSP}; merci{NBSP}!"),
        ("« la santé »", f"«{NBSP}la santé{NBSP}»"),
        ("«%(title)s»", f"«{NBSP}%(title)s{NBSP}»"),
        ("%(label)s: %(message)s", f"%(label)s{NBSP}: %(message)s"),
        ("Qu'est-ce que l'%(name)s ?", f"Qu’est-ce que l’%(name)s{NBSP}?"),
        ("aujourd'hui", "aujourd’hui"),
    ],
)
def test_french_puts_non_breaking_spaces_and_apostrophes(text, expected):
    assert french(text) == expected
    assert french(expected) == expected  # applying it twice changes nothing
    assert problems(text) and not problems(expected)


@pytest.mark.parametrize(
    "text",
    [
        "Voir https://exemple.fr/?page=2 et le ?page=3",
        "Ouvert à 10:42",
        "<a href=\"/x\" title='a'>lien</a>",
        "%(a)s:%(b)s",
        "Écrire à dpo@exemple.fr",
    ],
)
def test_addresses_times_tags_and_placeholders_are_left_alone(text):
    assert french(text) == text


def test_every_french_translation_follows_french_typography():
    wrong = []
    for area in areas():
        for message in catalogues.load(area) or ():
            if not message.id:
                continue  # the header
            forms = message.string if isinstance(message.string, tuple | list) else [message.string]
            wrong += [f"{area}: {line}" for form in forms for line in problems(form)]
    assert not wrong, "run `consult i18n refresh`, which corrects them:\n" + "\n".join(wrong)


def test_every_catalogue_states_the_same_two_form_plural_rule():
    rules = {
        area: catalogue.plural_forms
        for area in areas()
        if (catalogue := catalogues.load(area)) is not None
    }
    assert set(rules.values()) == {"nplurals=2; plural=(n > 1);"}, rules


def test_plurals_are_french_for_every_count(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert [ngettext("%(num)d answer", "%(num)d answers", n) for n in (0, 1, 2, 21)] == [
            "0 réponse",
            "1 réponse",
            "2 réponses",
            "21 réponses",
        ]


def test_rates_are_written_by_babel_in_the_readers_language(app):
    from decimal import Decimal

    from flask_babel import refresh

    from consult.core.i18n import format_rate

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert format_rate(Decimal("23.41"), 2).replace("\u202f", NBSP) == f"23,41{NBSP}%"
        assert format_rate(None) == "—"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # the locale is kept for the app context: choose it again
        assert format_rate(Decimal("23.41"), 2) == "23.41%"


def test_plurals_in_brackets_are_found_in_either_language():
    from babel.messages.catalog import Message

    assert catalogues.bracket_plurals(Message("%(n)d line(s) refused.", "%(n)d ligne refusée"))
    assert catalogues.bracket_plurals(Message("Refused", "%(n)d ligne(s) refusée(s)")) == [
        "e(s)",
        "e(s)",
    ]
    plural = Message(("%(num)d line", "%(num)d lines"), ("%(num)d ligne", "%(num)d ligne(s)"))
    assert catalogues.bracket_plurals(plural)
    assert not catalogues.bracket_plurals(Message("Retired (s)ince", "Retraité·e (depuis)"))


def test_no_catalogue_writes_a_plural_in_brackets():
    wrong = [
        f"{area}: {message.id!r}"
        for area in areas()
        for message in catalogues.load(area) or ()
        if message.id and catalogues.bracket_plurals(message)
    ]
    assert not wrong, "use ngettext:\n" + "\n".join(wrong)
