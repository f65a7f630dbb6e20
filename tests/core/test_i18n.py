"""Every string of the interface has a French translation, compiled and up to date."""

from babel.messages.catalog import Catalog

from consult.core.catalogues import compiled, is_stale, problems
from consult.core.i18n import english_count


def test_every_catalogue_is_complete_and_compiled():
    assert problems() == []


def _catalogue(translation: str, generated_by: str) -> Catalog:
    """A French catalogue with one message and one plural, headed as a given tool would."""
    catalog = Catalog(locale="fr", project="consult", last_translator=generated_by)
    catalog.add("Vote", translation)
    catalog.add(("%(n)d vote", "%(n)d votes"), ("%(n)d scrutin", "%(n)d scrutins"))
    return catalog


def test_a_compiled_catalogue_with_another_babel_header_is_not_stale(tmp_path):
    mo = tmp_path / "messages.mo"
    mo.write_bytes(compiled(_catalogue("Scrutin", "Babel 2.14.0")))
    assert mo.read_bytes() != compiled(_catalogue("Scrutin", "Babel 2.99.0"))
    assert not is_stale(mo, _catalogue("Scrutin", "Babel 2.99.0"))


def test_a_compiled_catalogue_with_another_translation_is_stale(tmp_path):
    mo = tmp_path / "messages.mo"
    mo.write_bytes(compiled(_catalogue("Scrutin", "Babel 2.14.0")))
    assert is_stale(mo, _catalogue("Vote", "Babel 2.14.0"))
    assert is_stale(tmp_path / "missing.mo", _catalogue("Vote", "Babel 2.14.0"))


def test_every_catalogue_counts_french_plurals_the_same_way():
    """Flask-Babel merges the catalogues under the first one's plural rule: they must agree."""
    from consult.core.catalogues import PLURALS, load
    from consult.core.i18n import areas

    for area in areas():
        catalog = load(area)
        if catalog is not None:
            assert (catalog.num_plurals, catalog.plural_expr) == PLURALS, area


def test_the_commands_count_in_english_with_the_form_the_number_needs():
    assert english_count(1, "reminder", "reminders") == "1 reminder"
    assert english_count(0, "reminder", "reminders") == "0 reminders"
    assert english_count(2, "message still needs", "messages still need") == (
        "2 messages still need"
    )


def test_i18n_refresh_counts_the_untranslated_messages(runner, monkeypatch):
    """`consult i18n refresh` lists each gap, then says how many there are in a sentence."""
    from consult.core import catalogues

    monkeypatch.setattr(catalogues, "refresh_all", lambda: {"core": ["Vote"]})
    result = runner.invoke(args=["i18n", "refresh"])
    assert result.output.splitlines() == [
        "core: untranslated: Vote",
        "1 message still needs a French translation.",
    ]
    monkeypatch.setattr(
        catalogues, "refresh_all", lambda: {"core": ["Vote", "Quorum"], "panels": []}
    )
    assert (
        "2 messages still need a French translation."
        in runner.invoke(args=["i18n", "refresh"]).output
    )


def test_messages_speak_the_request_language_and_the_one_force_locale_sets(app):
    """consult's translation functions (Python, lazy and in templates) find each language's
    translations once, and still follow the request's language and `force_locale` inside it."""
    from flask import render_template_string

    from consult.core.i18n import force_locale, gettext, lazy_gettext, ngettext

    label = lazy_gettext("Sign in")
    page = "{{ _('Sign in') }} / {{ ngettext('%(amount)s every %(num)d day', "
    page += "'%(amount)s every %(num)d days', 2, amount='3') }}"
    # Each request in an application context of its own, as served (its `g` holds the language).
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert (gettext("Sign in"), str(label)) == ("Sign in", "Sign in")
        assert render_template_string(page) == "Sign in / 3 every 2 days"
        with force_locale("fr"):
            assert (gettext("Sign in"), str(label)) == ("Se connecter", "Se connecter")
            assert render_template_string(page) == "Se connecter / 3 tous les 2 jours"
            hours = ngettext(
                "%(amount)s every %(num)d hour", "%(amount)s every %(num)d hours", 5, amount="4"
            )
            assert hours == "4 toutes les 5 heures"
        assert gettext("Sign in") == "Sign in"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert (gettext("Sign in"), str(label)) == ("Se connecter", "Se connecter")
    assert gettext("Sign in") == "Se connecter"  # a command or a job, outside a request


def test_consult_translates_and_switches_language_only_through_its_own_functions():
    """Flask-Babel's gettext family would skip the translations kept for the request, and its
    force_locale or refresh would leave them in the other language: only consult.core.i18n
    calls them."""
    import re

    from consult.core.i18n import PACKAGE_DIR

    banned = re.compile(
        r"^\s*from flask_babel import .*\b(gettext|ngettext|lazy_gettext|lazy_ngettext|"
        r"force_locale|refresh)\b",
        re.M,
    )
    offenders = [
        str(path.relative_to(PACKAGE_DIR))
        for path in PACKAGE_DIR.rglob("*.py")
        if path.name != "i18n.py" and banned.search(path.read_text())
    ]
    assert offenders == []
