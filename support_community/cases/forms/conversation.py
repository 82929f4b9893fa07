"""The forms of a case's page: a reply, files on their own, closing, and the buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from support_community.cases.services.creating import BODY_MAX


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=BODY_MAX)])
    attachments = MultipleFileField(_l("Attachments"))


class AttachForm(FlaskForm):
    # The services name the input they refuse files of "attachments"; the page's input is "files".
    attachments = MultipleFileField(_l("Files"), name="files")


class CloseForm(FlaskForm):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=BODY_MAX)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
