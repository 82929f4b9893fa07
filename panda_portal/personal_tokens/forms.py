"""The forms of personal access tokens: a new token, and an organization's rule about them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from panda_portal.personal_tokens.services import DEFAULT_DAYS, MAX_DAYS, MAX_NAME_LENGTH, TOKEN_SCOPES


def scope_labels() -> dict[str, str]:
    return {
        "orgs:read": str(_l("Read your organizations and their members (Panda)")),
        "orgs:admin": str(_l("Manage organizations you administer (Panda)")),
        "cases:read": str(_l("Read support cases (support community)")),
        "cases:write": str(_l("Open and answer support cases (support community)")),
        "agent": str(_l("Work as a support agent (support community)")),
    }


class NewTokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)])
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=[SelectChoice(s, s) for s in TOKEN_SCOPES],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    days = IntegerField(
        _l("Expires after (days)"),
        default=DEFAULT_DAYS,
        validators=[DataRequired(), NumberRange(min=1, max=MAX_DAYS)],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        labels = scope_labels()
        self.scopes.choices = [SelectChoice(s, f"{s}: {labels[s]}") for s in TOKEN_SCOPES]

    def validate_scopes(self, field: SelectMultipleField) -> None:
        # Not DataRequired: it would mark every checkbox required, so a browser would ask for all of them.
        if not field.data:
            raise ValidationError(_l("Choose at least one of the listed scopes."))


class PolicyForm(FlaskForm):
    forbid = BooleanField(_l("Forbid personal access tokens for this organization"))


class ActionForm(FlaskForm):
    """A button that posts (CSRF only)."""
