"""The notification settings form."""

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from consult.core.forms import MultiCheckboxField
from consult.core.i18n import lazy_gettext as _l
from consult.notifications.models import KINDS
from consult.notifications.rules import KIND_LABELS


class EmailChoicesForm(FlaskForm):
    """Which notifications also come by e-mail (all of them show in the app)."""

    kinds = MultiCheckboxField(
        _l("Send me an e-mail when"),
        choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS],
    )
