"""Forms of the administration pages: one per setting, each sent on its own."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from consult.assembly.rules import Category
from consult.core.forms import WrittenTextAreaField
from consult.core.i18n import lazy_gettext as _l

#: Categories and convocations of the voting rules, in the order the form shows them.
RULE_ROWS = [(category, convocation) for category in Category for convocation in (1, 2)]


def rule_field(category, convocation, part: str) -> str:
    """The name of one cell of the voting-rules form, e.g. "statutory_1_quorum"."""
    return f"{category.value}_{convocation}_{part}"


class ReasonsForm(FlaskForm):
    """Moderation reasons, one "code: label" a line."""

    value = WrittenTextAreaField(
        _l("Moderation reasons"),
        validators=[
            InputRequired(_l("Give at least one reason besides “Other”.")),
            Length(max=6000),
        ],
        render_kw={"rows": 8, "spellcheck": "true"},
    )


class NumberForm(FlaskForm):
    """A whole number (flag threshold, minimum group size)."""

    value = StringField(
        _l("Value"),
        validators=[InputRequired(_l("Enter a whole number.")), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class MajorityBaseForm(FlaskForm):
    """What the majority is counted on."""

    value = RadioField(
        _l("Majority base"),
        choices=[
            SelectChoice("votes_cast", _l("Votes cast (for and against)")),
            SelectChoice("present_represented", _l("Delegates present and represented")),
        ],
        validators=[InputRequired(_l("Choose one of the options."))],
    )


class _RulesFormBase(FlaskForm):
    """Quorum, majority and strictness for each category and convocation."""


def _rules_form_class():
    """The voting-rules form, with three fields for each category and convocation."""
    fields = {}
    for category, convocation in RULE_ROWS:
        fields[rule_field(category, convocation, "quorum")] = StringField(
            _l("Quorum"), validators=[Length(max=20)]
        )
        fields[rule_field(category, convocation, "majority")] = StringField(
            _l("Majority"),
            validators=[InputRequired(_l("Give the majority.")), Length(max=20)],
        )
        fields[rule_field(category, convocation, "strict")] = BooleanField(
            _l("More than (not “at least”)")
        )
    return type("AssemblyRulesForm", (_RulesFormBase,), fields)


AssemblyRulesForm = _rules_form_class()
