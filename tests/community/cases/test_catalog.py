"""Products and categories as choices: only active ones are offered, a category must be the product's own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from support_community.cases.models import Category, Product
from support_community.cases.services import catalog, catalog_import
from support_community.cases.services.catalog import CatalogError
from support_community.cases.services.demo_data import load_demo
from support_community.extensions import db


def test_a_retired_product_is_no_longer_offered(community):
    load_demo()
    db.session.get(Product, "payroll").active = False
    assert "payroll" not in [p.key for p in catalog.products()]
    assert all(c.product_key != "payroll" for c in catalog.categories())
    with pytest.raises(CatalogError):
        catalog.choose("payroll", None)


def test_a_category_must_belong_to_the_product(community):
    load_demo()
    vat = db.session.scalar(select(Category).filter_by(product_key="accounting", key="vat"))
    payslips = db.session.scalar(select(Category).filter_by(product_key="payroll", key="payslips"))
    product, category = catalog.choose("accounting", vat.id)
    assert (product.key, category.key) == ("accounting", "vat")
    with pytest.raises(CatalogError) as refused:
        catalog.choose("accounting", payslips.id)
    assert refused.value.field == "category"
    with pytest.raises(CatalogError):
        catalog.choose("accounting", None)
    with pytest.raises(CatalogError) as unknown:
        catalog.choose("nonsense", vat.id)
    assert unknown.value.field == "product"


def test_a_product_without_categories_needs_none(community):
    catalog_import.import_catalog(catalog_import.parse_csv("product,name_en\nsolo,Solo\n"))
    assert catalog.choose("solo", None) == (db.session.get(Product, "solo"), None)
