"""Forms for organising consultations and answering them."""

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.core.forms import (
    IntegerField,
    LocalDateTimeField,
    WrittenStringField,
    WrittenTextAreaField,
)
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int

QUESTION_KIND_LABELS = {
    "open": _l("Open text"),
    "words": _l("A few words"),
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
}


class ConsultationForm(FlaskForm):
    """A consultation's settings; the invited populations are added by the view (one per field)."""

    title = WrittenStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    introduction = WrittenTextAreaField(
        _l("Introduction"),
        validators=[Length(max=20_000)],
        description=_l("Shown above the questions. Paragraphs, bold, italics, lists and links."),
    )
    opens_at = LocalDateTimeField(_l("Opens on (Paris time)"), validators=[InputRequired()])
    closes_at = LocalDateTimeField(_l("Closes on (Paris time)"), validators=[InputRequired()])


def eligible_field_name(population_id: int) -> str:
    """The form field holding a population's head-count."""
    return f"eligible_{population_id}"


class ThemeForm(FlaskForm):
    """A theme that groups questions."""

    title = WrittenStringField(_l("Theme title"), validators=[DataRequired(), Length(max=200)])
    description = WrittenTextAreaField(_l("Description"), validators=[Length(max=5000)])


class QuestionForm(FlaskForm):
    """A question of a consultation."""

    kind = SelectField(
        _l("Kind of question"),
        choices=[SelectChoice(k, label) for k, label in QUESTION_KIND_LABELS.items()],
    )
    prompt = WrittenTextAreaField(_l("Question"), validators=[DataRequired(), Length(max=2000)])
    help_text = WrittenTextAreaField(_l("Help for participants"), validators=[Length(max=2000)])
    theme_id = SelectField(_l("Theme"), coerce=db_int)
    max_words = IntegerField(
        _l("Words at most (for “a few words”)"),
        default=3,
        validators=[Optional(), NumberRange(min=1, max=10)],
    )
    choices = WrittenTextAreaField(
        _l("Options (for choice questions), one per line"), validators=[Length(max=5000)]
    )
