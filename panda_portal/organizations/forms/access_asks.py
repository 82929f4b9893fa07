"""The form of "Ask for access": which of your organizations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired


class AskForAccessForm(FlaskForm):
    # Choices: the page's organizations where the person lacks the access (set by the view).
    organization = RadioField(
        _l("Organization"),
        validate_choice=False,
        validators=[InputRequired(_l("Choose the organization."))],
    )
