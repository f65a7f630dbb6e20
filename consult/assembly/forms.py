"""Forms of the assembly officer (the delegates' ballots are plain radio groups)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from consult.core.forms import IntegerField, WrittenStringField, WrittenTextAreaField
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports.forms import UploadForm
from consult.core.params import db_int

KIND_LABELS = {
    "motion": _l("For / against / abstention / blank"),
    "wordings": _l("Choice among wordings (majority judgment)"),
}


class AssemblyForm(FlaskForm):
    """A new general assembly."""

    title = WrittenStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    convocation = SelectField(
        _l("Convocation"),
        choices=[
            SelectChoice(1, _l("First convocation")),
            SelectChoice(2, _l("Second convocation")),
        ],
        coerce=db_int,
    )
    proxy_cap = IntegerField(
        _l("Proxies a delegate may carry"),
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=10)],
    )
    allow_vote_change = BooleanField(
        _l("Delegates may change their vote until the close (the last one counts)"), default=True
    )


class RollForm(UploadForm):
    """The roll of delegates: a spreadsheet or a CSV file."""


class ResolutionForm(FlaskForm):
    """A text put on the agenda."""

    title = WrittenStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = WrittenTextAreaField(
        _l("Text put to the vote"), validators=[DataRequired(), Length(max=20000)]
    )
    category = SelectField(
        _l("Category"),
        choices=[
            SelectChoice("statutory", _l("Statutory (category I)")),
            SelectChoice("ordinary", _l("Ordinary")),
        ],
    )
    kind = SelectField(
        _l("Kind of vote"), choices=[SelectChoice(k, label) for k, label in KIND_LABELS.items()]
    )
    wordings = WrittenTextAreaField(
        _l("Alternative wordings, separated by an empty line"),
        validators=[Length(max=40000)],
        description=_l("Only for a choice among wordings: between 2 and 8."),
    )


class ProxyForm(FlaskForm):
    """A proxy from one delegate to another, by roll identifier."""

    giver = StringField(
        _l("Identifier of the delegate giving the proxy"), validators=[DataRequired()]
    )
    holder = StringField(_l("Identifier of the delegate carrying it"), validators=[DataRequired()])
