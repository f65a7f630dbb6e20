"""Form pieces every area uses."""

from datetime import datetime

from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import IntegerField as _WTFormsIntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from consult.core.i18n import content_language
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int


def is_checkbox(field) -> bool:
    """Jinja's `checkbox` test: a field `render_field` lays out as one box with its label."""
    return isinstance(field, BooleanField)


def is_choice_group(field) -> bool:
    """Jinja's `choice_group` test: a field laid out as a fieldset of choices (radio buttons or
    checkboxes), whose first choice an error links to. A test of the field's class, not of its
    name: a subclass (a label people wrote, consult's own fields) keeps its layout."""
    return isinstance(field, (RadioField, MultiCheckboxField))


def written_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs whose labels people wrote (a consultation's title, a region), as
    options marked with the language they are written in: an <option> or the label of a radio
    button cannot hold a <span lang>, so an English page would read them with English sounds.
    The select widget writes the mark on each <option>, `render_field` on each choice's label."""
    lang = content_language()
    return [SelectChoice(value, label, render_kw={"lang": lang}) for value, label in pairs]


class _Written:
    """A text field whose value is content: its box carries the content's language (the value
    is read, and spell-checked, in French on an English page)."""

    def __call__(self, **kwargs):
        kwargs.setdefault("lang", content_language())
        return super().__call__(**kwargs)


class WrittenStringField(_Written, StringField):
    """A line of content: a title, a place, a name of a region."""


class WrittenTextAreaField(_Written, TextAreaField):
    """A text of content: a description, a question, minutes."""


class WrittenLabel:
    """A field whose label people wrote (a panel feature, a population's name): `render_field`
    and the error summary mark the label with the content's language."""

    @property
    def label_lang(self) -> str:
        """The language the label is written in."""
        return content_language()


class WrittenLabelRadioField(WrittenLabel, RadioField):
    """A radio question worded by the organisers (a panel feature and its values)."""


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as checkboxes in a fieldset (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, default=list, **kwargs):
        """Nothing ticked, or a body that is not a form at all, is an empty list, never None."""
        super().__init__(*args, default=default, **kwargs)


class IntegerField(_WTFormsIntegerField):
    """A whole number that fits a database column (consult.core.params.db_int), else a message."""

    def process_formdata(self, valuelist):
        """Parse with the one integer parser every request value goes through."""
        if not valuelist:
            return
        try:
            self.data = db_int(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a whole number.")) from None


class WrittenLabelIntegerField(WrittenLabel, IntegerField):
    """A number asked under a name the organisers wrote (a population's head-count)."""


#: The years a date-time field accepts.
MIN_YEAR, MAX_YEAR = 2000, 2100


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in Paris time (converted to UTC by the view), with a French message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(
            label, validators, format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], **kwargs
        )

    def process_formdata(self, valuelist):
        """Parse the value, with a clear message when the browser sent something else."""
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        for fmt in self.strptime_format:
            try:
                self.data = datetime.strptime(valuelist[0], fmt)
            except ValueError:
                continue
            if not MIN_YEAR <= self.data.year <= MAX_YEAR:
                # Year 1 or 9999 would overflow when converted between Paris time and UTC.
                self.data = None
                raise ValueError(
                    _l("Enter a year between %(min)d and %(max)d.", min=MIN_YEAR, max=MAX_YEAR)
                )
            return
        self.data = None
        raise ValueError(_l("Enter a date and time like 2026-03-01T09:00."))


#: The name of the hidden field robots fill in, and what a refused form says.
HONEYPOT_NAME = "website"
HONEYPOT_MESSAGE = _l("This form could not be sent. Please try again.")


def honeypot_filled(formdata) -> bool:
    """True when the hidden field of a hand-written form (see the `honeypot` macro) is filled."""
    return bool((formdata.get(HONEYPOT_NAME) or "").strip())


class HoneypotField(StringField):
    """A field hidden from people: bots fill it in, and the form is then refused."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {
            "autocomplete": "off",
            "tabindex": "-1",
            "class": "honeypot-input",
            **kwargs.pop("render_kw", {}),
        }
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def __call__(self, **kwargs):
        """Render label and input inside a wrapper that the stylesheet moves off screen."""
        return Markup(  # noqa: S704 - our own markup around WTForms' escaped output
            f'<div class="honeypot" aria-hidden="true">{self.label()}{super().__call__(**kwargs)}'
            "</div>"
        )

    def pre_validate(self, form):
        """A person never sees the field, so anything in it comes from a robot."""
        if self.data:
            raise StopValidation(HONEYPOT_MESSAGE)


def attach_error(form, error) -> None:
    """Show a service's refusal beside the field it names, or above the form."""
    field = form._fields.get(error.field or "")
    (field.errors if field is not None else form.form_errors).append(error.message)


def form_page(form, save, *, success, template, message=None, **context):
    """The edit-page pattern: validate, call the service, redirect; else the form with errors (422).

    `save()` calls the service and returns what it saved; `success` is a URL or a function of that
    result giving the URL; `message` is flashed on success.
    """
    from flask import flash, redirect, render_template

    from consult.core.errors import RuleError
    from consult.extensions import db

    if form.validate_on_submit():
        try:
            saved = save()
        except RuleError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            if message:
                flash(message, "success")
            return redirect(success(saved) if callable(success) else success)
    status = 422 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status
