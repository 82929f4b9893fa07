"""Forms of the members pages: role and application access, invitations, confirmations.

Application choices are rows in the database; views fill them in with
``set_application_choices`` before validating, so a tampered or stale key
(also in the hidden fields of a confirmation page) fails validation.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from panda_portal.accounts.models import is_plausible_email, normalize_email
from panda_portal.organizations.models import Application, Role
from shared.i18n import LANGUAGE_NAMES

ROLE_CHOICES = [SelectChoice(Role.MEMBER.value, _l("Member")), SelectChoice(Role.ADMIN.value, _l("Administrator"))]


class ApplicationsField(SelectMultipleField):
    """One checkbox per application."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def set_application_choices(field: ApplicationsField, applications: list[Application], language: str) -> None:
    field.choices = [SelectChoice(app.key, app.name(language)) for app in applications]


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class MemberForm(FlaskForm):
    role = RadioField(_l("Role"), choices=ROLE_CHOICES, validators=[DataRequired()])
    applications = ApplicationsField(_l("Application access"), choices=[], validate_choice=True)
    # Set on the confirmation page: the second post applies the change.
    confirmed = HiddenField()

    @property
    def is_confirmation(self) -> bool:
        return self.confirmed.data == "yes"


def _plausible_email(_form: FlaskForm, field: EmailField) -> None:
    if not is_plausible_email(normalize_email(field.data or "")):
        raise ValidationError(_l("Enter an e-mail address like name@example.com."))


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254), _plausible_email])
    role = RadioField(_l("Invite as"), choices=ROLE_CHOICES, default=Role.MEMBER.value, validators=[DataRequired()])
    applications = ApplicationsField(_l("Application access"), choices=[], validate_choice=True)
    language = SelectField(
        _l("Language of the invitation"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validators=[DataRequired()],
    )
