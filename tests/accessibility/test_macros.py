"""The shared form macros print valid ARIA: no attribute without a value, hints and errors tied."""

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from consult.core.forms import (
    MultiCheckboxField,
    WrittenLabelIntegerField,
    WrittenLabelRadioField,
    WrittenStringField,
    WrittenTextAreaField,
    is_checkbox,
    is_choice_group,
    written_choices,
)

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


class Written(FlaskForm):
    """Content chosen or typed (a consultation, a title) beside the interface's own choices."""

    consultation = SelectField("Consultation", coerce=int)
    region = RadioField("Region")
    title = WrittenStringField("Title")
    text = WrittenTextAreaField("Text")
    email = StringField("E-mail")


WRITTEN = """{% from "macros.html" import render_field %}{{ render_field(form.consultation) }}
{{ render_field(form.region) }}{{ render_field(form.title) }}{{ render_field(form.text) }}
{{ render_field(form.email) }}"""


def _written_form(app):
    """The form filled as an edit page shows it, rendered in English."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        form = Written(meta={"csrf": False})
        form.consultation.choices = [SelectChoice(0, "None")] + written_choices(
            [(7, "Notre raison d’être")]
        )
        form.region.choices = written_choices([("1", "Pays de la Loire")])
        form.title.data, form.text.data = "Agora de Toulouse", "Ordre du jour"
        form.email.data = "camille@example.org"
        return render_template_string(WRITTEN, form=form)


def test_options_people_wrote_are_marked_french_and_the_interface_s_are_not(app):
    html = _written_form(app)
    assert '<option value="0">None</option>' in html
    assert '<option lang="fr" value="7">Notre raison d’être</option>' in html


def test_a_radio_button_people_wrote_has_its_label_marked_french(app):
    html = _written_form(app)
    assert '<label for="region-0" lang="fr">Pays de la Loire</label>' in html


def test_text_fields_of_content_are_marked_french_and_other_fields_are_not(app):
    html = _written_form(app)
    assert 'lang="fr" name="title" type="text" value="Agora de Toulouse"' in html
    assert '<textarea id="text" lang="fr" name="text">' in html
    assert 'name="email" type="text" value="camille@example.org">' in html
    assert html.count('lang="fr"') == 4


class Feature(FlaskForm):
    age = WrittenLabelRadioField("Tranche d’âge ?", validators=[DataRequired("Answer this.")])
    town = StringField("Town", validators=[DataRequired("Say where.")])
    members = WrittenLabelIntegerField("Adhérents")


FEATURE = """{% from "macros.html" import render_field, render_form_errors %}
{{ render_form_errors(form) }}{{ render_field(form.age) }}{{ render_field(form.town) }}
{{ render_field(form.members) }}"""


def test_a_question_people_worded_has_its_legend_and_its_error_marked_french(app):
    with app.test_request_context("/", method="POST", headers={"Accept-Language": "en"}):
        form = Feature(meta={"csrf": False})
        form.age.choices = written_choices([("1", "40-60 ans")])
        assert not form.validate()
        html = render_template_string(FEATURE, form=form)
    assert '<legend><span lang="fr">Tranche d’âge ?</span>' in html
    # the error summary's line keeps the label's own « ? » (no colon) and its language
    assert '<a href="#age-0"><span lang="fr">Tranche d’âge ?</span> Answer this.</a>' in html
    assert '<a href="#town">Town: Say where.</a>' in html
    assert '<label for="town">Town' in html
    assert '<label for="members"><span lang="fr">Adhérents</span></label>' in html
    # laid out by what the field is, not by its class's name
    assert is_choice_group(form.age) and not is_choice_group(form.members)


def test_fields_are_laid_out_by_their_kind_whatever_their_class_is_called(app):
    class Choices(FlaskForm):
        agree = BooleanField("I agree")
        themes = MultiCheckboxField("Themes", choices=[SelectChoice("a", "Health")])

    with app.test_request_context("/"):
        form = Choices(meta={"csrf": False})
        html = render_template_string(
            '{% from "macros.html" import render_field %}'
            "{{ render_field(form.agree) }}{{ render_field(form.themes) }}",
            form=form,
        )
    assert '<div class="checkbox">' in html and "<legend>Themes" in html
    assert is_checkbox(form.agree) and not is_checkbox(form.themes)


def test_the_content_language_is_the_configured_one(app, monkeypatch):
    monkeypatch.setitem(app.config, "CONTENT_LANGUAGE", "br")
    html = _written_form(app)
    assert '<option lang="br" value="7">' in html and 'lang="fr"' not in html


PAGE = """{% extends "base.html" %}{% if content %}{% set title_lang = content_lang %}{% endif %}
{% block title %}{{ title }}{% endblock %}"""


def test_a_tab_title_made_of_content_alone_is_marked_french(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        content = render_template_string(PAGE, content=True, title="Agora de Toulouse")
        interface = render_template_string(PAGE, content=False, title="Notifications")
    assert '<title lang="fr">Agora de Toulouse — consult</title>' in content
    assert "<title>Notifications — consult</title>" in interface
