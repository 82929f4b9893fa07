"""The forms of the page "Requests to join": approve the ticked requests with the same access, or reject them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from panda_portal.organizations.services.joining import MESSAGE_MAX


class ApproveSeveralForm(FlaskForm):
    # Choices are the page's requests and the applications; the service checks what it is given.
    requests = SelectMultipleField(validate_choice=False, widget=ListWidget(), option_widget=CheckboxInput())
    applications = SelectMultipleField(validate_choice=False, widget=ListWidget(), option_widget=CheckboxInput())


class RejectSeveralForm(FlaskForm):
    """The ticked requests (from the page, then from the confirmation) and the optional message to each requester."""

    requests = SelectMultipleField(validate_choice=False, widget=ListWidget(), option_widget=CheckboxInput())
    message = TextAreaField(
        _l("Message to the requesters (optional)"),
        validators=[Length(max=MESSAGE_MAX)],
        description=_l("Sent to each of them with the e-mail that tells them your decision."),
    )
