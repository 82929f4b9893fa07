"""The mail preferences form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class MailPreferencesForm(FlaskForm):
    notify_followed = BooleanField(_l("Send me mails about cases I follow"))
