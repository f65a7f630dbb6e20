"""Forms of the panels area: the public volunteer form and the organisers' forms."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.core.forms import (
    HoneypotField,
    IntegerField,
    LocalDateTimeField,
    WrittenStringField,
    WrittenTextAreaField,
)
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports.forms import UploadForm
from consult.core.params import db_int

METHOD_LABELS = {
    "leximin": _l("LEXIMIN: probabilities as equal as possible (recommended)"),
    "maximin": _l("Maximin: the smallest probability as high as possible"),
}


class ProjectForm(FlaskForm):
    """A panel project's settings."""

    title = WrittenStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = WrittenTextAreaField(
        _l("What the panels are about"),
        validators=[Length(max=20_000)],
        description=_l("Shown on the volunteer form. Paragraphs, bold, italics, lists and links."),
    )
    method = RadioField(
        _l("Draw method"),
        choices=[SelectChoice(k, v) for k, v in METHOD_LABELS.items()],
        default="leximin",
    )
    consultation_id = SelectField(_l("Questions for the panellists"), coerce=db_int)


class FeatureForm(FlaskForm):
    """A profile feature and its values."""

    label = WrittenStringField(_l("Feature"), validators=[DataRequired(), Length(max=200)])
    values = WrittenTextAreaField(
        _l("Values, one per line"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l(
            "For example: Une femme, Un homme. Write “code = label” to choose the code."
        ),
    )


class PanelForm(FlaskForm):
    """A panel to fill."""

    name = WrittenStringField(_l("Panel name"), validators=[DataRequired(), Length(max=120)])
    size = IntegerField(
        _l("Seats"),
        default=12,
        validators=[InputRequired(), NumberRange(min=1, max=500)],
        render_kw={"inputmode": "numeric"},
    )
    place = WrittenStringField(
        _l("Place and facilitating association"), validators=[Length(max=300)]
    )


class VolunteerForm(FlaskForm):
    """The public form; the profile questions are added by the view, one per feature."""

    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(), Length(max=100)],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(), Length(max=100)],
        render_kw={"autocomplete": "family-name"},
    )
    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email", "type": "email"},
    )
    birth_year = IntegerField(
        _l("Year of birth"),
        validators=[InputRequired(_l("Give your year of birth.")), NumberRange(1900, 2100)],
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year"},
    )
    postcode = StringField(
        _l("Postcode"),
        validators=[DataRequired(), Length(max=10)],
        render_kw={"autocomplete": "postal-code"},
    )
    is_member = RadioField(
        _l("Are you a member (adhérent·e) of the mutual?"),
        choices=[SelectChoice("no", _l("No")), SelectChoice("yes", _l("Yes"))],
        validators=[InputRequired(_l("Answer this question."))],
        description=_l("Members take part in other ways: these panels are for non-members."),
    )
    consent_contact = BooleanField(
        _l("I agree to be contacted by e-mail about these panels."),
        validators=[DataRequired(_l("This consent is needed."))],
    )
    consent_profile = BooleanField(
        _l(
            "I agree that my answers about my profile are used to draw the panels, and that my "
            "pseudonymous profile (without my name) is published with the draw."
        ),
        validators=[DataRequired(_l("This consent is needed."))],
    )
    website = HoneypotField(_l("Leave this field empty"))


class ImportForm(UploadForm):
    """A partner's volunteer file, and the organiser's word that consents were collected."""

    consent = BooleanField(
        _l(
            "The partner collected each volunteer's consent to be contacted and to the processing "
            "of their profile data."
        )
    )


class SeedForm(FlaskForm):
    """The seed revealed after the commitment."""

    seed = StringField(
        _l("Seed"),
        validators=[DataRequired(), Length(max=200)],
        description=_l(
            "Revealed after the commitment: e.g. the numbers of a public lottery draw, or dice "
            "thrown in front of witnesses."
        ),
    )


class SessionForm(FlaskForm):
    """A meeting of a panel."""

    starts_at = LocalDateTimeField(_l("Date and time (Paris time)"), validators=[InputRequired()])
    place = WrittenStringField(_l("Place"), validators=[DataRequired(), Length(max=300)])
    agenda = WrittenTextAreaField(_l("Agenda"), validators=[Length(max=5000)])


class DocumentForm(FlaskForm):
    """A document for the panellists."""

    title = WrittenStringField(_l("Document title"), validators=[DataRequired(), Length(max=200)])
    url = StringField(_l("Link"), validators=[DataRequired(), Length(max=500)])
    summary = WrittenTextAreaField(_l("Summary"), validators=[Length(max=2000)])


class QuestionnaireForm(FlaskForm):
    """The closing questionnaire."""

    satisfaction = RadioField(
        _l("How satisfied are you with the panel?"),
        choices=[
            SelectChoice("5", _l("Very satisfied")),
            SelectChoice("4", _l("Satisfied")),
            SelectChoice("3", _l("Neither satisfied nor dissatisfied")),
            SelectChoice("2", _l("Dissatisfied")),
            SelectChoice("1", _l("Very dissatisfied")),
        ],
        validators=[InputRequired(_l("Choose an answer."))],
    )
    wants_follow_up = RadioField(
        _l("Would you like to take part in what comes next?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[InputRequired(_l("Choose an answer."))],
    )
    words = WrittenStringField(
        _l("A few words that sum up your experience"), validators=[Optional(), Length(max=300)]
    )
