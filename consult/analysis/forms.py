"""Analysts' forms."""

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from consult.analysis.topics import MAX_TOPICS, MIN_TOPICS
from consult.core.forms import (
    IntegerField,
    MultiCheckboxField,
    WrittenStringField,
    WrittenTextAreaField,
)
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int


class ProposeForm(FlaskForm):
    """How many themes to look for."""

    n_topics = IntegerField(
        _l("Number of themes"),
        default=8,
        validators=[
            DataRequired(_l("Give a number of themes.")),
            NumberRange(MIN_TOPICS, MAX_TOPICS, _l("Between 2 and 30 themes.")),
        ],
    )


class RenameForm(FlaskForm):
    """A theme's name."""

    name = WrittenStringField(
        _l("Name of the theme"),
        validators=[DataRequired(_l("Give the theme a name.")), Length(max=200)],
    )


class SplitForm(FlaskForm):
    """Into how many parts to split a theme."""

    parts = IntegerField(
        _l("Number of parts"),
        default=2,
        validators=[
            DataRequired(_l("Give a number of parts.")),
            NumberRange(2, 6, _l("Between 2 and 6 parts.")),
        ],
    )


class FindingForm(FlaskForm):
    """A finding: title, text, the themes it comes from."""

    title = WrittenStringField(
        _l("Title"), validators=[DataRequired(_l("Give the finding a title.")), Length(max=200)]
    )
    text = WrittenTextAreaField(_l("Text"), validators=[Optional(), Length(max=20_000)])
    topics = MultiCheckboxField(_l("Themes it draws on"), coerce=db_int, validate_choice=False)


class QuoteForm(FlaskForm):
    """Quote a contribution in a finding."""

    finding_id = SelectField(_l("Finding"), coerce=db_int, validate_choice=False)
    max_length = IntegerField(
        _l("Cut after (characters)"),
        validators=[Optional(), NumberRange(20, 2000, _l("Between 20 and 2,000 characters."))],
    )
