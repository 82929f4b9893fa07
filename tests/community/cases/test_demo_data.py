"""The demo set: accounting products named in three languages, safe to load again."""

from __future__ import annotations

from sqlalchemy import func, select

from support_community.cases.models import Category, Product
from support_community.cases.services import catalog
from support_community.cases.services.demo_data import load_demo
from support_community.extensions import db


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_demo_set_names_accounting_products_in_three_languages(community):
    load_demo()
    accounting = db.session.get(Product, "accounting")
    assert (accounting.name("en"), accounting.name("nl"), accounting.name("fr")) == (
        "Panda Accounting",
        "Panda Boekhouding",
        "Panda Comptabilité",
    )
    assert [p.name("nl") for p in catalog.products()][:3] == ["Panda Boekhouding", "Panda Facturatie", "Panda Loon"]
    keys = {c.key for c in catalog.categories() if c.product_key == "payroll"}
    assert {"installation", "payslips", "other"} <= keys


def test_loading_the_demo_twice_changes_nothing(community):
    first = load_demo()
    products, categories = count(Product), count(Category)
    second = load_demo()
    assert first.added == products + categories
    assert (second.added, second.updated, second.unchanged) == (0, 0, products + categories)
    assert (count(Product), count(Category)) == (products, categories)
