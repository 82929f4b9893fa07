"""The shape of the account forms; the password rules live in ``passwords`` (via the services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

from panda_portal.accounts.models import is_plausible_email, normalize_email
from panda_portal.accounts.names import NAME_MAX_LENGTH, name_problem
from shared.i18n import LANGUAGE_NAMES

# Enough for any allowed password; stops a megabyte of "password" from being hashed.
PASSWORD_INPUT_LIMIT = 1024


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email_address(_form: FlaskForm, field: EmailField) -> None:
    if field.data and not is_plausible_email(normalize_email(field.data)):
        raise ValidationError(_l("Enter a valid e-mail address."))


def _person_name(_form: FlaskForm, field: StringField) -> None:
    # After Length: one message per problem.
    problem = name_problem(field.data) if field.data and not field.errors else None
    if problem:
        raise ValidationError(problem)


def _language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGE_NAMES.items())


class _EmailMixin:
    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[InputRequired(_l("Enter your e-mail address.")), Length(max=254), _email_address],
    )


class SignInForm(_EmailMixin, FlaskForm):
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Enter your password.")), Length(max=PASSWORD_INPUT_LIMIT)]
    )
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class RegisterForm(_EmailMixin, FlaskForm):
    name = StringField(
        _l("Your name"),
        filters=[_strip],
        validators=[InputRequired(_l("Enter your name.")), Length(max=NAME_MAX_LENGTH), _person_name],
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Choose a password.")), Length(max=PASSWORD_INPUT_LIMIT)]
    )
    language = SelectField(_l("Language"), choices=_language_choices, default="en")
    next = HiddenField()
    submit = SubmitField(_l("Create account"))


class EmailForm(_EmailMixin, FlaskForm):
    """Ask for a link by mail (a new confirmation link, a password reset)."""

    next = HiddenField()
    submit = SubmitField(_l("Send the link"))


class ConfirmForm(FlaskForm):
    """A button only: links are confirmed by a POST, so mail scanners that open links use nothing up."""

    submit = SubmitField(_l("Confirm my e-mail address"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[InputRequired(_l("Choose a password.")), Length(max=PASSWORD_INPUT_LIMIT)]
    )
    submit = SubmitField(_l("Set the new password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password.")), Length(max=PASSWORD_INPUT_LIMIT)],
    )
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(_l("Choose a password.")), Length(max=PASSWORD_INPUT_LIMIT)]
    )
    submit = SubmitField(_l("Change password"))


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        filters=[_strip],
        validators=[InputRequired(_l("Enter your name.")), Length(max=NAME_MAX_LENGTH), _person_name],
    )
    language = SelectField(_l("Language"), choices=_language_choices)
    submit = SubmitField(_l("Save"))
