"""The upload form every import starts with (an area subclasses it to ask for more)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from consult.core.i18n import lazy_gettext as _l


class UploadForm(FlaskForm):
    """A file from a spreadsheet or another system."""

    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose a file."))],
        description=_l(
            "A spreadsheet (XLSX, ODS, XLS) or a CSV file, with a header line. You will say "
            "which column holds what, and see what the file does before anything is imported."
        ),
    )
