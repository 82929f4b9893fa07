"""The organization's settings, changed by its administrators."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class SettingsForm(FlaskForm):
    requires_two_step = BooleanField(_l("Require two-step verification of everyone who acts for this organization"))
