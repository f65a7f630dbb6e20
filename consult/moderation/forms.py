"""Forms of the moderation pages: decisions, bulk decisions, flags, suspensions, settings."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.core.forms import HoneypotField, IntegerField, WrittenTextAreaField
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int
from consult.moderation.rules import FREE_TEXT_MAX


def _reason_fields():
    """The reason list and its free text, shared by every form that asks why."""
    return (
        SelectField(_l("Reason"), validators=[Optional()]),
        TextAreaField(
            _l("Explanation"),
            validators=[Optional(), Length(max=FREE_TEXT_MAX)],
            description=_l("Required for \u201cOther\u201d; shown to the author."),
            render_kw={"rows": 2, "maxlength": FREE_TEXT_MAX},
        ),
    )


class DecisionForm(FlaskForm):
    """One moderator decision on one contribution, naming the version the moderator saw."""

    action = RadioField(_l("Decision"), validators=[InputRequired(_l("Choose a decision."))])
    reason_code, reason_text = _reason_fields()
    publish_masked = BooleanField(_l("Publish the masked version (personal data removed)"))
    version = HiddenField(validators=[InputRequired()])


class BulkDecisionForm(FlaskForm):
    """One decision on the ticked items, or on every item matching the filters."""

    action = SelectField(_l("Decision for the selection"), validators=[InputRequired()])
    reason_code, reason_text = _reason_fields()
    publish_masked = BooleanField(_l("Publish masked versions where personal data was found"))
    scope = RadioField(
        _l("Apply to"),
        choices=[
            SelectChoice("selected", _l("the ticked contributions")),
            SelectChoice("all", _l("every contribution matching the filters")),
        ],
        default="selected",
    )


class QueueFilterForm(FlaskForm):
    """The queue's filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    consultation = SelectField(_l("Consultation"), coerce=db_int, validators=[Optional()])
    question = SelectField(_l("Question"), coerce=db_int, validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional()])
    min_flags = IntegerField(
        _l("Flagged at least"), validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    personal_data = BooleanField(_l("Personal data found"))
    from_ = DateField(_l("Submitted from"), validators=[Optional()], name="from")
    to = DateField(_l("Submitted until (inclusive)"), validators=[Optional()])


class FlagForm(FlaskForm):
    """A participant reports a contribution; ``website`` is a honeypot for robots."""

    reason_code = SelectField(_l("Why should moderators look at it?"), validators=[DataRequired()])
    reason_text = WrittenTextAreaField(
        _l("Details (optional)"),
        validators=[Optional(), Length(max=FREE_TEXT_MAX)],
        render_kw={"rows": 3, "maxlength": FREE_TEXT_MAX},
    )
    website = HoneypotField(_l("Leave this field empty"))


class ResubmitForm(FlaskForm):
    """The author edits a rejected contribution and sends it back to the moderators."""

    text = WrittenTextAreaField(
        _l("Your answer"), validators=[DataRequired()], render_kw={"rows": 8}
    )
    website = HoneypotField(_l("Leave this field empty"))


class SuspensionForm(FlaskForm):
    """Suspend a participant from contributing until a date."""

    email = EmailField(
        _l("Participant's e-mail address"), validators=[DataRequired(), Length(max=254)]
    )
    reason_code, reason_text = _reason_fields()
    ends_on = DateField(_l("Suspended until (end of the day before)"), validators=[DataRequired()])


class ModeForm(FlaskForm):
    """The organiser's choice of pre- or post-moderation for one consultation."""

    consultation_id = HiddenField(validators=[DataRequired()])
    mode = RadioField(
        _l("Moderation"),
        choices=[
            SelectChoice("pre", _l("Pre-moderation: nothing shows before a moderator approves it")),
            SelectChoice("post", _l("Post-moderation: shows at once, can be hidden later")),
        ],
        validators=[InputRequired()],
    )


class AuditFilterForm(FlaskForm):
    """Filters of the moderation log (GET, no CSRF)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = SelectField(_l("By"), coerce=db_int, validators=[Optional()])
    contribution = IntegerField(_l("Contribution no."), validators=[Optional(), NumberRange(min=1)])
    from_ = DateField(_l("From"), validators=[Optional()], name="from")
    to = DateField(_l("Until (inclusive)"), validators=[Optional()])


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]
