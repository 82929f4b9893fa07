"""The favourite button of "Switch organization" (pin / unpin)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, Length


class FavouriteForm(FlaskForm):
    pinned = HiddenField(validators=[AnyOf(["0", "1"])])
    # The page to go back to (a path of this site; anything else goes to the switcher).
    back = HiddenField(validators=[Length(max=2000)])
