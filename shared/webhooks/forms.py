"""The subscription form and the buttons of the webhook pages (input shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class EventsField(SelectMultipleField):
    """One checkbox per event type."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SubscriptionForm(FlaskForm):
    url = StringField(_l("Endpoint URL"), validators=[DataRequired(), Length(max=2000)])
    description = StringField(_l("Description (optional)"), validators=[Optional(), Length(max=200)])
    events = EventsField(_l("Events"), choices=[], validate_choice=True, validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
