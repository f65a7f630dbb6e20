"""Forms of the personal-data pages."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from consult.core.forms import IntegerField
from consult.core.i18n import lazy_gettext as _l
from consult.privacy.rules import MAX_KEEP_DAYS


class DeleteAccountForm(FlaskForm):
    """Deleting one's account: the password again, and an explicit confirmation."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Type your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("I understand that my account and my personal data will be deleted for good."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class RetentionForm(FlaskForm):
    """How many days volunteers' or invitees' data are kept after the end."""

    keep_days = IntegerField(
        _l("Days kept after the end"),
        validators=[
            InputRequired(_l("Give a whole number of days.")),
            NumberRange(
                0,
                MAX_KEEP_DAYS,
                _l("Give a number of days between 0 and %(max)d.", max=MAX_KEEP_DAYS),
            ),
        ],
    )
