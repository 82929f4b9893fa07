"""The form of "Add several organizations": a CSV file, or lines pasted in a text box."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, ValidationError

from panda_portal.organizations.services.bulk_adding import MAX_BYTES


class BulkAddForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        description=_l("One client per line: customer number, then enterprise number (at most 5,000 lines)."),
    )
    rows = TextAreaField(
        _l("Or paste the lines"),
        validators=[Length(max=MAX_BYTES, message=_l("At most 5,000 rows at once: split the list in parts."))],
        description=_l("For example: 100234,0403.170.701"),
    )

    def has_file(self) -> bool:
        return bool(self.file.data and getattr(self.file.data, "filename", None))

    def validate_rows(self, field: TextAreaField) -> None:
        if not self.has_file() and not (field.data or "").strip():
            raise ValidationError(_l("Choose a CSV file or paste the lines."))


class ConfirmBulkAddForm(FlaskForm):
    """The button that confirms a previewed list: only the CSRF token."""
