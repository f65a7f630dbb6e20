"""Forms for signing in, profiles, links sent by e-mail and managing people."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from consult.accounts.rules import AGE_BAND_LABELS, AGE_BANDS, GENDER_FORM_LABELS, GENDER_FORMS
from consult.core.forms import HoneypotField, MultiCheckboxField, WrittenStringField
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int
from consult.core.permissions import ROLE_LABELS, Role


class LoginForm(FlaskForm):
    """Sign in with e-mail and password."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Stay signed in on this device"))
    website = HoneypotField(_l("Leave this field empty"))


class ProfileForm(FlaskForm):
    """The profile that quotes are attributed by, with consent (the population is not in it:
    the organisation sets it)."""

    gender_form = RadioField(
        _l("How should we write your category?"),
        choices=[SelectChoice(g, GENDER_FORM_LABELS[g]) for g in GENDER_FORMS],
        validators=[InputRequired()],
        default="n",
    )
    age_band = SelectField(
        _l("Age band"),
        choices=[SelectChoice("", _l("I prefer not to say"))]
        + [SelectChoice(a, AGE_BAND_LABELS[a]) for a in AGE_BANDS],
    )
    region = SelectField(_l("Region"), coerce=db_int)
    consent = BooleanField(
        _l(
            "I agree that this profile (category, form, age band, region) is attached to my "
            "contributions and may be quoted with them, never with my name."
        )
    )


class PasswordChoiceForm(FlaskForm):
    """Choose a password (from an invitation or a reset link)."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("At least 10 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Type it again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordChangeForm(PasswordChoiceForm):
    """A signed-in person changes their password (the current one proves it is them)."""

    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class ForgottenPasswordForm(FlaskForm):
    """Ask for a password-reset link."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    website = HoneypotField(_l("Leave this field empty"))


class PersonForm(FlaskForm):
    """An administrator changes a person's roles or deactivates the account."""

    roles = MultiCheckboxField(
        _l("Roles"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in Role]
    )
    active = BooleanField(_l("Account active"))
    population = SelectField(
        _l("Population"),
        coerce=db_int,
        default=0,
        description=_l("What the person answers as; contributions already written keep theirs."),
    )


class PeopleFilterForm(FlaskForm):
    """Search people by e-mail or name, and by role."""

    class Meta:
        csrf = False

    q = StringField(_l("E-mail or name contains"), validators=[Length(max=100)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("Any role"))]
        + [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role],
        default="",  # a link with only ?q=... must still search
    )


class PopulationForm(FlaskForm):
    """A population that consultations invite, with the labels quotes use."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Used in CSV files: lower-case letters, digits and dashes."),
    )
    name = WrittenStringField(_l("Name (plural)"), validators=[DataRequired(), Length(max=120)])
    label_feminine = WrittenStringField(
        _l("Label, feminine"), validators=[DataRequired(), Length(max=80)]
    )
    label_masculine = WrittenStringField(
        _l("Label, masculine"), validators=[DataRequired(), Length(max=80)]
    )
    label_neutral = WrittenStringField(
        _l("Label, neutral"), validators=[DataRequired(), Length(max=80)]
    )
    internal = BooleanField(_l("Internal population (counted in the internal participation rate)"))


class RegionForm(FlaskForm):
    """A region of the configurable list."""

    name = WrittenStringField(_l("Region name"), validators=[DataRequired(), Length(max=120)])
