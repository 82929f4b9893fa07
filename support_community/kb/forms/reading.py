"""The readers' forms: the search of ``/kb`` (GET, so without a token) and "was this helpful?"."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SelectField, StringField
from wtforms.validators import Length, Optional

from support_community.cases.models import Product
from support_community.kb.services.articles import QUERY_MAX


class SearchForm(Form):
    q = StringField(_l("Search the help articles"), validators=[Optional(), Length(max=QUERY_MAX)])
    product = SelectField(_l("Product"), validate_choice=False)

    def set_choices(self, products: Iterable[Product], language: str) -> None:
        self.product.choices = [("", _("All products"))] + [(p.key, p.name(language)) for p in products]


class FeedbackForm(FlaskForm):
    """Two buttons, ``helpful=yes`` and ``helpful=no``: the token is all the form holds."""
