"""Products and categories are data: loaded from JSON or CSV, named in three languages, never deleted."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from support_community.cases.models import Category, Product
from support_community.cases.services import catalog, catalog_import
from support_community.cases.services.catalog_import import CatalogFileError
from support_community.cases.services.demo_data import load_demo
from support_community.extensions import db


def test_an_import_updates_names_and_retires_without_deleting(community):
    load_demo()
    report = catalog_import.import_catalog(
        catalog_import.parse_json(
            json.dumps(
                {
                    "products": [
                        {
                            "key": "payroll",
                            "names": {"en": "Panda Payroll", "nl": "Panda Loon & HR", "fr": "Panda Salaires"},
                            "position": 3,
                            "categories": [{"key": "dimona", "names": {"en": "Dimona"}, "active": False}],
                        },
                    ]
                }
            )
        )
    )
    assert report.updated == 2
    assert db.session.get(Product, "payroll").name_nl == "Panda Loon & HR"
    dimona = db.session.scalar(select(Category).filter_by(product_key="payroll", key="dimona"))
    assert dimona is not None and dimona.active is False and dimona.name_fr == "Dimona"
    assert dimona not in catalog.categories()
    assert dimona in catalog.categories(include_inactive=True)


def test_a_csv_describes_products_and_their_categories(community):
    specs = catalog_import.parse_csv(
        "product,category,name_en,name_nl,name_fr,position,active\n"
        "cash,,Panda Cash,Panda Kassa,Panda Caisse,5,yes\n"
        "cash,tickets,Receipts,Kasticketten,Tickets de caisse,,\n"
        "cash,old,Old thing,,,,no\n"
    )
    report = catalog_import.import_catalog(specs)
    assert report.added == 3
    cash = db.session.get(Product, "cash")
    assert (cash.name_fr, cash.position, cash.active) == ("Panda Caisse", 5, True)
    old = db.session.scalar(select(Category).filter_by(product_key="cash", key="old"))
    assert (old.name_nl, old.active) == ("Old thing", False)  # a missing translation falls back to English


@pytest.mark.parametrize(
    "content,message",
    [
        ("product,name_en\nBad Key,Name\n", "line 2: key 'Bad Key'"),
        ("product,name_en\ncash,\n", "line 2: the English name is missing"),
        ("name_en\nCash\n", "missing: product"),
        ("product,name_en,active\ncash,Cash,maybe\n", "active must be yes or no"),
        ("product,category,name_en\ncash,,Cash\ncash,,Cash again\n", "appears twice"),
    ],
)
def test_a_bad_csv_is_refused_with_the_line(community, content, message):
    with pytest.raises(CatalogFileError, match=message):
        catalog_import.parse_csv(content)


def test_categories_of_an_unknown_product_are_refused(community):
    with pytest.raises(CatalogFileError, match="not known"):
        catalog_import.import_catalog(catalog_import.parse_csv("product,category,name_en\nghost,x,Ghost category\n"))


@pytest.mark.parametrize(
    "content,message",
    [
        ("{", "not valid JSON"),
        ('{"products": {}}', "expected a list"),
        ('[{"key": "a", "names": "A"}]', "names must be an object"),
        (
            '[{"key": "a", "names": {"en": "A"}, "categories": [{"key": "x", "names": {"en": "X"}}, '
            '{"key": "x", "names": {"en": "Y"}}]}]',
            "category 'x' appears twice",
        ),
    ],
)
def test_a_bad_json_file_is_refused(community, content, message):
    with pytest.raises(CatalogFileError, match=message):
        catalog_import.parse_json(content)


def test_only_json_and_csv_files_are_read(community):
    with pytest.raises(CatalogFileError, match=".json or .csv"):
        catalog_import.parse_catalog("catalog.xml", b"<x/>")
