"""The "New case" form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from shared.input import single_line
from support_community.cases.forms.choices import severity_choices
from support_community.cases.models import Category, Product, Severity
from support_community.cases.services.creating import BODY_MAX, SUBJECT_MAX


class NewCaseForm(FlaskForm):
    # Choices are data (products, categories): set by ``set_choices``; the service
    # checks that the category belongs to the product.
    product = SelectField(_l("Product"), validate_choice=False, validators=[DataRequired()])
    category = SelectField(_l("Category"), validate_choice=False)
    severity = SelectField(_l("Severity"), default=Severity.NORMAL.value, validate_choice=False)
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=SUBJECT_MAX), single_line])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=BODY_MAX)])
    attachments = MultipleFileField(_l("Attachments"))

    def set_choices(self, products: list[Product], categories: list[Category], language: str) -> None:
        """The template groups the categories under their product; the service checks the pair."""
        names = {p.key: p.name(language) for p in products}
        self.product.choices = [("", str(_l("Choose a product")))] + list(names.items())
        self.category.choices = [("", str(_l("Choose a category")))] + [
            (str(c.id), f"{names.get(c.product_key, c.product_key)}: {c.name(language)}") for c in categories
        ]
        self.severity.choices = severity_choices()


def category_id(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except (TypeError, ValueError):
        return None
