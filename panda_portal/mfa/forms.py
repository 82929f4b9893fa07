"""The shape of the two-step forms: a code from the app, or a recovery code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

# What the code fields take: a code typed with spaces, a recovery code with hyphens; more is not a code.
CODE_INPUT_LIMIT = 64
PASSKEY_RESPONSE_LIMIT = 20_000
APP_CODE_FIELD = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "autocapitalize": "off",
    "spellcheck": "false",
}
RECOVERY_CODE_FIELD = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class SetUpForm(FlaskForm):
    """Turning two-step verification on: the first code the app shows."""

    code = StringField(
        _l("Code from your app"),
        filters=[_strip],
        validators=[InputRequired(_l("Enter the 6-digit code your app shows.")), Length(max=CODE_INPUT_LIMIT)],
        render_kw=APP_CODE_FIELD,
    )
    submit = SubmitField(_l("Turn on two-step verification"))


class SecondFactorForm(FlaskForm):
    """The second step (at sign-in, or to confirm a sensitive change): a code, or a recovery code."""

    code = StringField(
        _l("Code from your app"),
        filters=[_strip],
        validators=[Optional(), Length(max=CODE_INPUT_LIMIT)],
        render_kw=APP_CODE_FIELD,
    )
    recovery_code = StringField(
        _l("Recovery code"),
        filters=[_strip],
        validators=[Optional(), Length(max=CODE_INPUT_LIMIT)],
        render_kw=RECOVERY_CODE_FIELD,
    )
    remember = BooleanField(_l("Remember this browser for 30 days"))
    # What the browser's passkey answered (JSON, filled in by passkeys.js).
    passkey_response = HiddenField(validators=[Optional(), Length(max=PASSKEY_RESPONSE_LIMIT)])
    next = HiddenField()
    submit = SubmitField(_l("Continue"))

    def validate(self, extra_validators: dict | None = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.code.data and not self.recovery_code.data and not self.passkey_response.data:
            self.code.errors.append(_l("Enter the 6-digit code your app shows, or a recovery code."))
            return False
        return True


class ConfirmForm(FlaskForm):
    """A button only (turn off, make new codes, forget browsers): the step-up came before."""

    submit = SubmitField(_l("Confirm"))


class AddPasskeyForm(FlaskForm):
    name = StringField(
        _l("Name of the passkey"),
        filters=[_strip],
        validators=[InputRequired(_l("Give the passkey a name you will recognise.")), Length(max=100)],
    )
    passkey_response = HiddenField(validators=[Length(max=PASSKEY_RESPONSE_LIMIT)])
    submit = SubmitField(_l("Add a passkey"))


class RenamePasskeyForm(FlaskForm):
    name = StringField(
        _l("Name of the passkey"),
        filters=[_strip],
        validators=[InputRequired(_l("Give the passkey a name you will recognise.")), Length(max=100)],
    )
    submit = SubmitField(_l("Rename"))


class PasskeySignInForm(FlaskForm):
    """Signing in with a passkey alone: the browser's answer (JSON), and the page to go on to."""

    passkey_response = HiddenField(validators=[InputRequired(), Length(max=PASSKEY_RESPONSE_LIMIT)])
    next = HiddenField(validators=[Optional(), Length(max=2000)])
