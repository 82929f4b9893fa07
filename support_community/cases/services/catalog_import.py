"""Loading products and categories from a file: ``community catalog import FILE.json|csv``.

Names come in English, Dutch and French. Nothing is deleted: a product or category
is retired by ``active: false`` and disappears from the choices.

JSON::

    {"products": [{"key": "accounting", "names": {"en": "…", "nl": "…", "fr": "…"},
                   "position": 1, "active": true,
                   "categories": [{"key": "vat", "names": {"en": "…"}, "position": 1}]}]}

CSV (a row without ``category`` is the product itself; ``name_nl``/``name_fr``
default to ``name_en``, ``position`` to the row's order, ``active`` to yes)::

    product,category,name_en,name_nl,name_fr,position,active
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from shared.errors import DomainError
from shared.i18n import LANGUAGES
from support_community.cases.models import Category, Product
from support_community.extensions import db

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
NAME_MAX = 120


class CatalogFileError(DomainError):
    """A catalog file that cannot be read; the message names the line or entry."""


@dataclass
class CategorySpec:
    key: str
    names: dict[str, str]
    position: int = 0
    active: bool = True


@dataclass
class ProductSpec:
    key: str
    names: dict[str, str]
    position: int = 0
    active: bool = True
    categories: list[CategorySpec] = field(default_factory=list)


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def _names(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise CatalogFileError(f"{where}: names must be an object with en, nl and fr")
    english = str(raw.get("en") or "").strip()
    if not english:
        raise CatalogFileError(f"{where}: the English name is missing")
    names = {language: str(raw.get(language) or "").strip() or english for language in LANGUAGES}
    for language, name in names.items():
        if len(name) > NAME_MAX:
            raise CatalogFileError(f"{where}: the {language} name is longer than {NAME_MAX} characters")
    return names


def _key(raw: object, where: str) -> str:
    key = str(raw or "").strip()
    if not _KEY.match(key):
        raise CatalogFileError(f"{where}: key {key!r} must be lowercase letters, digits, '-' or '_'")
    return key


def _flag(raw: object, where: str) -> bool:
    if raw is None or raw == "":
        return True
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "y"}:
        return True
    if text in {"0", "false", "no", "n"}:
        return False
    raise CatalogFileError(f"{where}: active must be yes or no, not {raw!r}")


def _position(raw: object, default: int, where: str) -> int:
    if raw is None or raw == "":
        return default
    if isinstance(raw, (int, float, str)):
        try:
            return int(raw)
        except ValueError:
            pass
    raise CatalogFileError(f"{where}: position must be a whole number, not {raw!r}")


def parse_json(text: str) -> list[ProductSpec]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise CatalogFileError(f"not valid JSON: {error}") from None
    items = data.get("products") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise CatalogFileError('expected a list of products (or an object with "products")')
    specs = []
    for number, item in enumerate(items, start=1):
        where = f"product {number}"
        if not isinstance(item, dict):
            raise CatalogFileError(f"{where}: expected an object")
        key = _key(item.get("key"), where)
        where = f"product {key!r}"
        raw_categories = item.get("categories") or []
        if not isinstance(raw_categories, list):
            raise CatalogFileError(f"{where}: categories must be a list")
        product = ProductSpec(
            key=key,
            names=_names(item.get("names"), where),
            position=_position(item.get("position"), number, where),
            active=_flag(item.get("active"), where),
        )
        for position, raw in enumerate(raw_categories, start=1):
            inner = f"{where}, category {position}"
            if not isinstance(raw, dict):
                raise CatalogFileError(f"{inner}: expected an object")
            product.categories.append(
                CategorySpec(
                    key=_key(raw.get("key"), inner),
                    names=_names(raw.get("names"), inner),
                    position=_position(raw.get("position"), position, inner),
                    active=_flag(raw.get("active"), inner),
                )
            )
        specs.append(product)
    _no_duplicates(specs)
    return specs


CSV_COLUMNS = ("product", "category", "name_en", "name_nl", "name_fr", "position", "active")


def parse_csv(text: str) -> list[ProductSpec]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"product", "name_en"} - set(reader.fieldnames or [])
    if missing:
        raise CatalogFileError(
            f"the header must name the columns {', '.join(CSV_COLUMNS)} (missing: {', '.join(sorted(missing))})"
        )
    specs: dict[str, ProductSpec] = {}
    for row in reader:
        where = f"line {reader.line_num}"
        product_key = _key(row.get("product"), where)
        names = _names({language: row.get(f"name_{language}") for language in LANGUAGES}, where)
        category_key = (row.get("category") or "").strip()
        if not category_key:
            if product_key in specs and specs[product_key].names:
                raise CatalogFileError(f"{where}: product {product_key!r} appears twice")
            spec = specs.setdefault(product_key, ProductSpec(key=product_key, names={}))
            spec.names = names
            spec.position = _position(row.get("position"), len(specs), where)
            spec.active = _flag(row.get("active"), where)
            continue
        spec = specs.setdefault(product_key, ProductSpec(key=product_key, names={}))
        spec.categories.append(
            CategorySpec(
                key=_key(category_key, where),
                names=names,
                position=_position(row.get("position"), len(spec.categories) + 1, where),
                active=_flag(row.get("active"), where),
            )
        )
    result = list(specs.values())
    _no_duplicates(result)
    return result


def parse_catalog(filename: str, content: bytes) -> list[ProductSpec]:
    """A catalog file's products, by its extension (``.json`` or ``.csv``)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogFileError("the file is not UTF-8 text") from None
    lowered = filename.lower()
    if lowered.endswith(".json"):
        return parse_json(text)
    if lowered.endswith(".csv"):
        return parse_csv(text)
    raise CatalogFileError("the file must end in .json or .csv")


def _no_duplicates(specs: Iterable[ProductSpec]) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.key in seen:
            raise CatalogFileError(f"product {spec.key!r} appears twice")
        seen.add(spec.key)
        keys = [category.key for category in spec.categories]
        doubles = {key for key in keys if keys.count(key) > 1}
        if doubles:
            raise CatalogFileError(f"product {spec.key!r}: category {sorted(doubles)[0]!r} appears twice")


def _apply(row: Product | Category, names: dict[str, str], position: int, active: bool) -> bool:
    wanted = {f"name_{language}": names[language] for language in LANGUAGES} | {"position": position, "active": active}
    changed = False
    for name, value in wanted.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def import_catalog(specs: Iterable[ProductSpec]) -> ImportReport:
    """Add or update products and categories (never deletes: retire with ``active``)."""
    report = ImportReport()
    for spec in specs:
        product = db.session.get(Product, spec.key)
        if product is None:
            if not spec.names:
                # A CSV with categories of a product it does not describe: the product must exist.
                raise CatalogFileError(f"product {spec.key!r} is not known: add a row for it")
            product = Product(key=spec.key)
            _apply(product, spec.names, spec.position, spec.active)
            db.session.add(product)
            report.count("added")
        elif spec.names:
            report.count("updated" if _apply(product, spec.names, spec.position, spec.active) else "unchanged")
        db.session.flush()
        existing = {c.key: c for c in db.session.scalars(select(Category).where(Category.product_key == spec.key))}
        for item in spec.categories:
            category = existing.get(item.key)
            if category is None:
                category = Category(product_key=spec.key, key=item.key)
                _apply(category, item.names, item.position, item.active)
                db.session.add(category)
                report.count("added")
            else:
                report.count("updated" if _apply(category, item.names, item.position, item.active) else "unchanged")
    db.session.flush()
    return report
