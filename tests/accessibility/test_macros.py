"""The shared form macros print valid ARIA: no attribute without a value, hints and errors tied."""

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

TEMPLATE = """{% from "macros.html" import render_field %}{{ render_field(form.name) }}
{{ render_field(form.agree) }}{{ render_field(form.town, hint="Where you live.") }}"""


class Sample(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give a name.")])
    agree = BooleanField("I agree")
    town = StringField("Town", description="Where you live.")


def test_untouched_fields_carry_no_empty_aria_attributes(app):
    with app.test_request_context("/"):
        html = render_template_string(TEMPLATE, form=Sample())
    assert "None" not in html
    assert "aria-invalid" not in html
    assert 'aria-describedby="town-hint"' in html
    assert html.count("aria-describedby") == 1


def test_an_error_joins_the_hint_instead_of_replacing_it(app):
    with app.test_request_context("/", method="POST", data={"town": ""}):
        form = Sample(meta={"csrf": False})
        form.validate()
        form.town.errors = ["Give a town."]
        html = render_template_string(TEMPLATE, form=form)
    assert 'aria-describedby="town-hint town-error"' in html
    assert 'aria-describedby="name-error"' in html and html.count('aria-invalid="true"') == 2
    assert "Where you live." in html and "Give a town." in html and "None" not in html


REFRESH = """{% from "macros.html" import refresh_meta, refresh_controls %}
{{ refresh_meta(running, 2) }}{{ refresh_controls(2) }}"""


def test_progress_pages_refresh_themselves_only_once_asked(app):
    """Imports, draw commitments and analyses: no refresh on its own (WCAG 2.2.1)."""
    with app.test_request_context("/imports/7", headers={"Accept-Language": "fr"}):
        html = render_template_string(REFRESH, running=True)
    assert "http-equiv" not in html and 'href="/imports/7?auto=1"' in html
    with app.test_request_context("/imports/7?auto=1", headers={"Accept-Language": "fr"}):
        asked = render_template_string(REFRESH, running=True)
        finished = render_template_string(REFRESH, running=False)
    assert '<meta http-equiv="refresh" content="2">' in asked
    assert 'href="/imports/7">Arrêter l’actualisation automatique' in asked
    assert "toutes les 2\u00a0secondes" in asked or "toutes les 2 secondes" in asked
    assert "http-equiv" not in finished


def test_written_text_is_marked_french_inside_an_english_sentence(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = render_template_string(
            '{{ _("Minutes of “%(title)s”", title=written(title)) }}', title="L’agora <b>"
        )
    assert html == 'Minutes of “<span lang="fr">L’agora &lt;b&gt;</span>”'
