"""The form of the page "Requests to join": approve the ticked requests with the same access."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class ApproveSeveralForm(FlaskForm):
    # Choices are the page's requests and the applications; the service checks what it is given.
    requests = SelectMultipleField(validate_choice=False, widget=ListWidget(), option_widget=CheckboxInput())
    applications = SelectMultipleField(validate_choice=False, widget=ListWidget(), option_widget=CheckboxInput())
