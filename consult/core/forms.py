"""Form pieces every area uses."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as checkboxes in a fieldset (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in Paris time (converted to UTC by the view), with a French message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(
            label, validators, format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], **kwargs
        )

    def process_formdata(self, valuelist):
        """Parse the value, with a clear message when the browser sent something else."""
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        for fmt in self.strptime_format:
            try:
                self.data = datetime.strptime(valuelist[0], fmt)
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(_l("Enter a date and time like 2026-03-01T09:00."))


class HoneypotField(StringField):
    """A field hidden from people: bots fill it in, and the form is then refused."""
