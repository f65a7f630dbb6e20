"""Forms of the meetings area; the registration form is built from the meeting's questions."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.consultations.forms import QUESTION_KIND_LABELS
from consult.core.forms import (
    IntegerField,
    LocalDateTimeField,
    MultiCheckboxField,
    WrittenStringField,
    WrittenTextAreaField,
)
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int

KIND_LABELS = {
    "internal": _l("Internal meeting"),
    "agora": _l("Members’ forum (agora)"),
    "panel": _l("Panel session"),
    "other": _l("Other meeting"),
}
FORMAT_LABELS = {
    "in_person": _l("In person"),
    "online": _l("Online"),
    "hybrid": _l("In person and online"),
}
GENDER_LABELS = {"f": _l("Feminine"), "m": _l("Masculine"), "n": _l("Neutral")}


def _optional_int(value):
    """An id from a select whose first option is empty."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # matches no choice: "Not a valid choice"


class MeetingForm(FlaskForm):
    """A meeting's settings; choices are filled in by the view."""

    title = WrittenStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind of meeting"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()]
    )
    format = RadioField(
        _l("Where it happens"),
        choices=[SelectChoice(k, v) for k, v in FORMAT_LABELS.items()],
        default="in_person",
        validators=[InputRequired()],
    )
    place = WrittenStringField(
        _l("Address"),
        validators=[Length(max=300)],
        description=_l("For a meeting in person or both."),
    )
    online_url = StringField(
        _l("Link to join online"),
        validators=[Length(max=500)],
        description=_l("For a meeting online or both; shown only to people who hold a seat."),
    )
    region_id = SelectField(_l("Region"), coerce=_optional_int, validate_choice=True)
    starts_at = LocalDateTimeField(_l("Starts on (Paris time)"), validators=[InputRequired()])
    ends_at = LocalDateTimeField(_l("Ends on (Paris time)"), validators=[InputRequired()])
    agenda = WrittenTextAreaField(
        _l("Agenda"),
        validators=[Length(max=20_000)],
        description=_l("Paragraphs, bold, italics, lists and links."),
    )
    populations = MultiCheckboxField(_l("Invited populations"), coerce=db_int)
    capacity = IntegerField(
        _l("Seats"),
        validators=[Optional(), NumberRange(min=1, max=100_000)],
        description=_l(
            "Leave empty for no limit. When every seat is taken, people join a waiting list."
        ),
    )
    registration_opens_at = LocalDateTimeField(
        _l("Registration opens on (Paris time)"),
        validators=[Optional()],
        description=_l("Leave empty to open registration as soon as the meeting is published."),
    )
    registration_closes_at = LocalDateTimeField(
        _l("Registration closes on (Paris time)"),
        validators=[Optional()],
        description=_l("Leave empty to keep it open until the meeting starts."),
    )
    consultation_id = SelectField(_l("Consultation"), coerce=_optional_int)
    panel_id = SelectField(_l("Panel"), coerce=_optional_int)
    mission_session_id = SelectField(_l("Mission committee sitting"), coerce=_optional_int)


class QuestionForm(FlaskForm):
    """A question of the registration form."""

    kind = SelectField(
        _l("Kind of question"),
        choices=[SelectChoice(k, label) for k, label in QUESTION_KIND_LABELS.items()],
    )
    prompt = WrittenTextAreaField(_l("Question"), validators=[DataRequired(), Length(max=500)])
    max_words = IntegerField(
        _l("Words at most (for “a few words”)"),
        default=3,
        validators=[Optional(), NumberRange(min=1, max=10)],
    )
    choices = WrittenTextAreaField(
        _l("Options (for choice questions), one per line"), validators=[Length(max=5000)]
    )


class CancelForm(FlaskForm):
    """Why a meeting is cancelled."""

    reason = WrittenTextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class MinutesForm(FlaskForm):
    """The minutes' text and who may read them once published."""

    body = WrittenTextAreaField(_l("Minutes"), validators=[DataRequired(), Length(max=200_000)])
    visibility = RadioField(
        _l("Once published, readable by"),
        choices=[
            SelectChoice("public", _l("Everyone (public)")),
            SelectChoice("private", _l("The meeting’s participants and the organisers (private)")),
        ],
        default="public",
        validators=[InputRequired()],
    )


class CodeForm(FlaskForm):
    """The attendance code shown in the room."""

    code = StringField(_l("Code shown in the room"), validators=[DataRequired(), Length(max=20)])


class ContributionForm(FlaskForm):
    """Something said in the meeting, attributed by profile."""

    question_id = SelectField(_l("Question"), coerce=_optional_int)
    text = WrittenTextAreaField(
        _l("What was said"), validators=[DataRequired(), Length(max=20_000)]
    )
    registration_id = SelectField(
        _l("Said by a participant"),
        coerce=_optional_int,
        description=_l("Their profile is used. Otherwise describe the speaker below."),
    )
    population_id = SelectField(_l("Speaker’s population"), coerce=_optional_int)
    gender_form = SelectField(
        _l("Gender form of the profile"),
        choices=[SelectChoice(k, v) for k, v in GENDER_LABELS.items()],
        default="n",
    )
    age_band = SelectField(_l("Age band"))
    region_id = SelectField(_l("Region"), coerce=_optional_int)
