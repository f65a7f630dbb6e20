"""The shared form fields hand services the types they expect, whatever the request held."""

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from consult.core.forms import MultiCheckboxField


class Ticks(FlaskForm):
    """A form with one group of checkboxes."""

    roles = MultiCheckboxField("Roles", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")])


def _data(app, body: str, content_type: str):
    with app.test_request_context("/", method="POST", data=body, content_type=content_type):
        form = Ticks()
        return form.roles.data, form.validate()


def test_ticked_boxes_are_a_list(app):
    assert _data(app, "roles=a&roles=b", "application/x-www-form-urlencoded") == (["a", "b"], True)


def test_no_box_ticked_is_an_empty_list(app):
    assert _data(app, "other=1", "application/x-www-form-urlencoded") == ([], True)


def test_a_body_that_is_not_a_form_is_an_empty_list_too(app):
    # Flask-WTF then processes no form data at all: WTForms would leave the field's data None.
    assert _data(app, "roles=a", "application/x-unknown")[0] == []
