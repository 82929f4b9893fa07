"""The agent workspace's forms: input shape only (choices are filled in by the views)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

MESSAGE_MAX_LENGTH = 20000


class QueueFilterForm(Form):
    """The queue's filters: a GET form (bookmarkable), so without a CSRF token."""

    status = SelectField(_l("Status"), validate_choice=False)
    severity = SelectField(_l("Severity"), validate_choice=False)
    product = SelectField(_l("Product"), validate_choice=False)
    organization = StringField(_l("Organization (name or id)"), validators=[Optional(), Length(max=200)])
    assignee = SelectField(_l("Assigned to"), validate_choice=False)
    sort = SelectField(_l("Sort by"), validate_choice=False)


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write a message first.")),
                                                    Length(max=MESSAGE_MAX_LENGTH)])
    internal = BooleanField(_l("Internal note — not visible to the customer"))
    attachments = MultipleFileField(_l("Attachments (optional)"))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[DataRequired(_l("Choose a status."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=MESSAGE_MAX_LENGTH)])
    comment_internal = BooleanField(_l("Keep the comment internal — not visible to the customer"))


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"))


class SeverityForm(FlaskForm):
    severity = SelectField(_l("Severity"), validators=[DataRequired(_l("Choose a severity."))])
