"""The article editor: the text of one language version and what the versions share."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from shared.i18n import LANGUAGE_NAMES, LANGUAGES
from shared.input import single_line
from support_community.cases.models import Category, Product
from support_community.kb.labels import VISIBILITY_LABELS
from support_community.kb.services.editing import BODY_MAX, TITLE_MAX

# The editor's buttons (``name="action"``): look first, keep a draft, or put it on the site.
ACTIONS = ("preview", "save", "publish")


class ArticleForm(FlaskForm):
    language = SelectField(_l("Language"), validate_choice=False)  # a new article only; otherwise the URL's
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX), single_line])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=BODY_MAX)])
    product = SelectField(_l("Product"), validate_choice=False)
    category = SelectField(_l("Category"), validate_choice=False)
    visibility = SelectField(_l("Who may read it"), default="public", validate_choice=False)
    base_revision = HiddenField()

    def set_choices(self, products: Iterable[Product], categories: Iterable[Category], language: str) -> None:
        names = {p.key: p.name(language) for p in products}
        self.language.choices = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
        self.product.choices = [("", _("No product"))] + list(names.items())
        self.category.choices = [("", _("No category"))] + [
            (str(c.id), f"{names.get(c.product_key, c.product_key)}: {c.name(language)}") for c in categories
        ]
        self.visibility.choices = [(v.value, str(label)) for v, label in VISIBILITY_LABELS.items()]


def action_of(raw: str | None) -> str:
    """The button pressed; an unknown one saves a draft (never publishes by accident)."""
    return raw if raw in ACTIONS else "save"


def number_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except (TypeError, ValueError):
        return None
