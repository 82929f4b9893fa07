"""Products and their categories: the choices a new case offers, named in the reader's language.

They are data in the database (``catalog_import``: loaded from a file; ``demo_data``: the
demo set). A product or category is never deleted once cases may point at it: it is
retired by ``active: false`` and disappears from the choices.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from shared.i18n import current_language
from support_community.cases.models import Category, Product
from support_community.cases.services.errors import CaseError
from support_community.extensions import db


class CatalogError(CaseError):
    """A product/category choice that cannot be used."""


def products(*, include_inactive: bool = False) -> list[Product]:
    query = select(Product).order_by(Product.position, Product.name_en)
    if not include_inactive:
        query = query.where(Product.active.is_(True))
    return list(db.session.scalars(query))


def categories(*, include_inactive: bool = False) -> list[Category]:
    """Categories of the (active) products, in the products' order, then their own."""
    query = (
        select(Category)
        .join(Product, Product.key == Category.product_key)
        .order_by(Product.position, Product.name_en, Category.position, Category.name_en)
    )
    if not include_inactive:
        query = query.where(Product.active.is_(True), Category.active.is_(True))
    return list(db.session.scalars(query))


def choose(product_key: str | None, category_id: int | None) -> tuple[Product, Category | None]:
    """The active product and, when it has categories, one of its own active categories."""
    product = db.session.get(Product, product_key) if product_key else None
    if product is None or not product.active:
        raise CatalogError(_("Choose one of the products in the list."), field="product")
    own = list(
        db.session.scalars(select(Category).where(Category.product_key == product.key, Category.active.is_(True)))
    )
    if not own:
        return product, None
    for category in own:
        if category.id == category_id:
            return product, category
    raise CatalogError(
        _("Choose a category of %(product)s.", product=product.name(current_language())), field="category"
    )
