"""Forms of the mission area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.core.forms import (
    IntegerField,
    MultiCheckboxField,
    WrittenStringField,
    WrittenTextAreaField,
)
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int
from consult.mission import labels
from consult.mission.files import accepted_extensions
from consult.mission.rules import parse_number


class FigureField(StringField):
    """A figure typed the French way ("81,9", "88 700"), read as an exact Decimal."""

    def process_formdata(self, valuelist):
        """Parse the figure, with a clear message when it is not one."""
        self.raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if self.raw:
            try:
                self.data, _unit = parse_number(self.raw)
            except ValueError:
                raise ValueError(_l("Enter a number, like 81,9 or 1 252.")) from None

    def _value(self):
        """Show what was typed, or the stored figure with a decimal comma."""
        if getattr(self, "raw", None) is not None:
            return self.raw
        return format(self.data, "f").replace(".", ",") if self.data is not None else ""


def _year_field(label):
    return IntegerField(label, validators=[Optional(), NumberRange(2000, 2100)])


class ObjectiveForm(FlaskForm):
    """Follow an adopted resolution as an objective."""

    resolution_id = SelectField(
        _l("Adopted resolution"), coerce=db_int, validators=[InputRequired()]
    )
    title = WrittenStringField(
        _l("Short title"),
        validators=[Optional(), Length(max=200)],
        description=_l("Leave empty to use the resolution's title."),
    )


class EngagementForm(FlaskForm):
    """An engagement under an objective."""

    title = WrittenStringField(_l("Engagement"), validators=[DataRequired(), Length(max=300)])
    description = WrittenTextAreaField(
        _l("What it means in practice"), validators=[Length(max=5000)]
    )


class IndicatorForm(FlaskForm):
    """An indicator with everything it carries."""

    title = WrittenStringField(_l("Indicator"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k, v) for k, v in labels.KIND_LABELS.items()]
    )
    unit = WrittenStringField(
        _l("Unit"),
        validators=[Length(max=40)],
        description=_l("For a number or a count: kg, entreprises, actions…"),
    )
    direction = RadioField(
        _l("Direction"),
        choices=[
            *(SelectChoice(k, v) for k, v in labels.DIRECTION_LABELS.items()),
            SelectChoice("", _l("None (qualitative state)")),
        ],
        default="up",
        validate_choice=True,
    )
    baseline_value = FigureField(_l("Baseline"))
    baseline_year = _year_field(_l("Baseline year"))
    target_value = FigureField(_l("Target"))
    target_year = _year_field(_l("Target year"))
    method = WrittenTextAreaField(_l("Method"), validators=[Length(max=5000)])
    owner = WrittenStringField(_l("Owner (department or person)"), validators=[Length(max=200)])
    owner_email = StringField(
        _l("E-mail of the account that enters the values"),
        validators=[Optional(), Length(max=254)],
    )
    source = WrittenStringField(_l("Source"), validators=[Length(max=300)])
    computed = SelectField(
        _l("Computed by consult"),
        choices=[
            SelectChoice("", _l("No: entered by its owner")),
            *(SelectChoice(k, v) for k, v in labels.COMPUTED_LABELS.items()),
        ],
        default="",
    )
    computed_from = IntegerField(
        _l("Computed from (number of the assembly, consultation or panel project)"),
        validators=[Optional(), NumberRange(1)],
    )
    internal_only = BooleanField(_l("Only the internal populations (employees and delegates)"))
    components = WrittenTextAreaField(
        _l("Components of the index"),
        description=_l("One a line: indicator number; reference; weight (e.g. « 12; 90; 1 »)."),
        validators=[Length(max=2000)],
    )


class ValueForm(FlaskForm):
    """A value as at a date, with its comment and evidence."""

    as_of = DateField(_l("As at"), validators=[InputRequired()])
    value = FigureField(_l("Value"))
    text_value = WrittenStringField(
        _l("State reached (qualitative indicator)"), validators=[Length(max=300)]
    )
    parts = WrittenTextAreaField(
        _l("Parts of the breakdown"),
        description=_l("One a line: « label = figure »."),
        validators=[Length(max=4000)],
    )
    comment = WrittenTextAreaField(_l("Comment"), validators=[Length(max=5000)])
    evidence = WrittenTextAreaField(_l("Evidence"), validators=[Length(max=5000)])


class AuditForm(FlaskForm):
    """Recording that the auditor checked a value."""

    reference = StringField(
        _l("Reference of the auditor's report"), validators=[DataRequired(), Length(max=300)]
    )


class CommentForm(FlaskForm):
    """A committee member's remark."""

    body = WrittenTextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=5000)])


class AttachmentForm(FlaskForm):
    """One file."""

    file = FileField(
        _l("File"),
        description=_l("Accepted: %(types)s.", types=accepted_extensions()),
        render_kw={"accept": accepted_extensions().replace(" ", "")},
    )


class ProofForm(FlaskForm):
    """A proof put forward."""

    title = WrittenStringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    happened_on = DateField(_l("Date"), validators=[InputRequired()])
    department = WrittenStringField(_l("Department"), validators=[DataRequired(), Length(max=200)])
    territory = WrittenStringField(_l("Territory"), validators=[Length(max=200)])
    description = WrittenTextAreaField(_l("Description"), validators=[Length(max=10000)])
    figures = WrittenTextAreaField(_l("Figures"), validators=[Length(max=2000)])
    links = MultiCheckboxField(_l("What it shows"), choices=[])


class DecisionForm(FlaskForm):
    """The committee's decision on a proof."""

    status = RadioField(
        _l("Decision"),
        choices=[SelectChoice("retained", _l("Retain")), SelectChoice("rejected", _l("Reject"))],
        validators=[InputRequired()],
    )
    public = BooleanField(_l("Show it on the public pages"))
    reason = WrittenTextAreaField(_l("Reason"), validators=[Length(max=2000)])


class SessionForm(FlaskForm):
    """A committee session."""

    held_on = DateField(_l("Date"), validators=[InputRequired()])
    title = WrittenStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    place = WrittenStringField(_l("Place"), validators=[Length(max=200)])
    agenda = WrittenTextAreaField(_l("Agenda"), validators=[Length(max=10000)])
    minutes = WrittenTextAreaField(_l("Minutes"), validators=[Length(max=50000)])


class OpinionForm(FlaskForm):
    """A version of the annual opinion."""

    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    title = WrittenStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = WrittenTextAreaField(_l("Text"), validators=[DataRequired(), Length(max=50000)])
    note = WrittenStringField(_l("What changed in this version"), validators=[Length(max=300)])


class ImportForm(FlaskForm):
    """The dashboard spreadsheet."""

    file = FileField(
        _l("Dashboard (CSV, XLSX, ODS or XLS)"),
        render_kw={"accept": ".csv,.txt,.xlsx,.ods,.xls"},
    )
