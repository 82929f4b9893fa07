"""The forms of the person's sessions, change of address, data download and account deletion."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from panda_portal.accounts.forms import PASSWORD_INPUT_LIMIT, _email_address, _strip


class SignOutSessionForm(FlaskForm):
    session = HiddenField(validators=[InputRequired(), Length(max=64)])
    submit = SubmitField(_l("Sign out"))


class SignOutOthersForm(FlaskForm):
    submit = SubmitField(_l("Sign out all other sessions"))


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New e-mail address"),
        filters=[_strip],
        validators=[InputRequired(_l("Enter your new e-mail address.")), Length(max=254), _email_address],
    )
    # Asked only of people without two-step verification (who confirm with a second factor instead).
    password = PasswordField(_l("Your password"), validators=[Length(max=PASSWORD_INPUT_LIMIT)])
    submit = SubmitField(_l("Send the confirmation link"))


class LinkForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class DownloadForm(FlaskForm):
    # Asked only of people without two-step verification (who confirm with a second factor instead).
    password = PasswordField(_l("Your password"), validators=[Length(max=PASSWORD_INPUT_LIMIT)])
    submit = SubmitField(_l("Download your data"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[Length(max=PASSWORD_INPUT_LIMIT)])
    understood = BooleanField(
        _l("I understand that my account and my access to every organization end for good."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete my account"))
