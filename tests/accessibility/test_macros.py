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
