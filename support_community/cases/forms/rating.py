"""The "how did we do?" form: good or bad, and an optional comment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from support_community.cases.services.satisfaction import COMMENT_MAX


class RatingForm(FlaskForm):
    rating = RadioField(
        _l("How did we do?"),
        choices=[("good", _l("Good, I am satisfied")), ("bad", _l("Bad, I am not satisfied"))],
        validators=[InputRequired(_l("Choose good or bad."))],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=COMMENT_MAX)])
