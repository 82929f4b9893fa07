"""Products and categories are data: loaded from JSON or CSV or the demo set, named in three languages."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from support_community.cases.models import Category, Product
from support_community.cases.services import catalog
from support_community.cases.services.catalog import CatalogError, CatalogFileError
from support_community.extensions import db


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def cli(community):
    runner = community.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args))

    return run


def test_the_demo_set_names_accounting_products_in_three_languages(community):
    catalog.load_demo()
    accounting = db.session.get(Product, "accounting")
    assert (accounting.name("en"), accounting.name("nl"), accounting.name("fr")) == \
        ("Panda Accounting", "Panda Boekhouding", "Panda Comptabilité")
    assert [p.name("nl") for p in catalog.products()][:3] == ["Panda Boekhouding", "Panda Facturatie", "Panda Loon"]
    keys = {c.key for c in catalog.categories() if c.product_key == "payroll"}
    assert {"installation", "payslips", "other"} <= keys


def test_loading_the_demo_twice_changes_nothing(community):
    first = catalog.load_demo()
    products, categories = count(Product), count(Category)
    second = catalog.load_demo()
    assert first.added == products + categories
    assert (second.added, second.updated, second.unchanged) == (0, 0, products + categories)
    assert (count(Product), count(Category)) == (products, categories)


def test_an_import_updates_names_and_retires_without_deleting(community):
    catalog.load_demo()
    report = catalog.import_catalog(catalog.parse_json(json.dumps({"products": [
        {"key": "payroll", "names": {"en": "Panda Payroll", "nl": "Panda Loon & HR", "fr": "Panda Salaires"},
         "position": 3, "categories": [{"key": "dimona", "names": {"en": "Dimona"}, "active": False}]},
    ]})))
    assert report.updated == 2
    assert db.session.get(Product, "payroll").name_nl == "Panda Loon & HR"
    dimona = db.session.scalar(select(Category).filter_by(product_key="payroll", key="dimona"))
    assert dimona is not None and dimona.active is False and dimona.name_fr == "Dimona"
    assert dimona not in catalog.categories()
    assert dimona in catalog.categories(include_inactive=True)


def test_a_retired_product_is_no_longer_offered(community):
    catalog.load_demo()
    db.session.get(Product, "payroll").active = False
    assert "payroll" not in [p.key for p in catalog.products()]
    assert all(c.product_key != "payroll" for c in catalog.categories())
    with pytest.raises(CatalogError):
        catalog.choose("payroll", None)


def test_a_csv_describes_products_and_their_categories(community):
    specs = catalog.parse_csv(
        "product,category,name_en,name_nl,name_fr,position,active\n"
        "cash,,Panda Cash,Panda Kassa,Panda Caisse,5,yes\n"
        "cash,tickets,Receipts,Kasticketten,Tickets de caisse,,\n"
        "cash,old,Old thing,,,,no\n")
    report = catalog.import_catalog(specs)
    assert report.added == 3
    cash = db.session.get(Product, "cash")
    assert (cash.name_fr, cash.position, cash.active) == ("Panda Caisse", 5, True)
    old = db.session.scalar(select(Category).filter_by(product_key="cash", key="old"))
    assert (old.name_nl, old.active) == ("Old thing", False)  # a missing translation falls back to English


@pytest.mark.parametrize("content,message", [
    ("product,name_en\nBad Key,Name\n", "line 2: key 'Bad Key'"),
    ("product,name_en\ncash,\n", "line 2: the English name is missing"),
    ("name_en\nCash\n", "missing: product"),
    ("product,name_en,active\ncash,Cash,maybe\n", "active must be yes or no"),
    ("product,category,name_en\ncash,,Cash\ncash,,Cash again\n", "appears twice"),
])
def test_a_bad_csv_is_refused_with_the_line(community, content, message):
    with pytest.raises(CatalogFileError, match=message):
        catalog.parse_csv(content)


def test_categories_of_an_unknown_product_are_refused(community):
    with pytest.raises(CatalogFileError, match="not known"):
        catalog.import_catalog(catalog.parse_csv("product,category,name_en\nghost,x,Ghost category\n"))


@pytest.mark.parametrize("content,message", [
    ("{", "not valid JSON"),
    ('{"products": {}}', "expected a list"),
    ('[{"key": "a", "names": "A"}]', "names must be an object"),
    ('[{"key": "a", "names": {"en": "A"}, "categories": [{"key": "x", "names": {"en": "X"}}, '
     '{"key": "x", "names": {"en": "Y"}}]}]', "category 'x' appears twice"),
])
def test_a_bad_json_file_is_refused(community, content, message):
    with pytest.raises(CatalogFileError, match=message):
        catalog.parse_json(content)


def test_only_json_and_csv_files_are_read(community):
    with pytest.raises(CatalogFileError, match=".json or .csv"):
        catalog.parse_catalog("catalog.xml", b"<x/>")


def test_a_category_must_belong_to_the_product(community):
    catalog.load_demo()
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
    catalog.import_catalog(catalog.parse_csv("product,name_en\nsolo,Solo\n"))
    assert catalog.choose("solo", None) == (db.session.get(Product, "solo"), None)


# -- the command line -----------------------------------------------------------------------------
def test_community_demo_loads_the_catalog_and_can_run_again(cli):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert "added" in first.output
    again = cli("demo")
    assert again.exit_code == 0 and "0 added, 0 updated" in again.output
    assert db.session.get(Product, "invoicing").name_nl == "Panda Facturatie"


def test_community_catalog_import_reads_a_json_file(cli, tmp_path):
    path = tmp_path / "catalog.json"
    names = {"en": "Panda Cash", "nl": "Panda Kassa", "fr": "Panda Caisse"}
    path.write_text(json.dumps([{"key": "cash", "names": names,
                                 "categories": [{"key": "tickets", "names": {"en": "Receipts"}}]}]), encoding="utf-8")
    result = cli("catalog", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 unchanged." in result.output
    assert db.session.get(Product, "cash").name_nl == "Panda Kassa"


def test_community_catalog_import_reports_a_bad_file_and_writes_nothing(cli, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("product,name_en\ncash,Cash\nBAD,Bad\n", encoding="utf-8")
    result = cli("catalog", "import", str(path))
    assert result.exit_code != 0
    assert "line 3" in result.output
    assert db.session.get(Product, "cash") is None
    assert cli("catalog", "import", str(tmp_path / "missing.csv")).exit_code != 0
