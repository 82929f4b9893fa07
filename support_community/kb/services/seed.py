"""The first article: how an accountant handles cases for clients, in English, Dutch and French.

The product was born from that help-centre article; the knowledge base starts with it,
written in our own words (``kb/data/client-organizations.<language>.md``: a first line
``# Title``, then the Markdown body). ``community kb seed`` and ``community demo`` load it.

Safe to run again: a language version that exists is left as the agents may have
edited it; only missing versions are added (and published).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from shared.database import utcnow
from support_community.cases.models import Category, Product
from support_community.extensions import db
from support_community.kb.models import Article, ArticleTranslation, Visibility
from support_community.kb.services import editing

DATA = Path(__file__).resolve().parent.parent / "data"
SEED_ARTICLE_ID = uuid.UUID("2f9b8c1e-4a57-4d0b-9c3e-6b1a7d5e0a01")
SEED_NAME = "client-organizations"
# The slug of each version: chosen here, not from the title, so the addresses are short and stable.
SEED_SLUGS = {
    "en": "manage-cases-for-your-clients",
    "nl": "cases-beheren-voor-uw-klanten",
    "fr": "gerer-les-cas-de-vos-clients",
}
# The demo catalog's product and category (used when they exist).
SEED_PRODUCT, SEED_CATEGORY = "portal", "organizations"


@dataclass(frozen=True)
class SeedReport:
    added: int
    present: int


def seed_text(language: str) -> tuple[str, str]:
    """``(title, body)`` of the seed article in ``language``, from its data file."""
    lines = (DATA / f"{SEED_NAME}.{language}.md").read_text(encoding="utf-8").splitlines()
    title = lines[0].removeprefix("#").strip()
    return title, "\n".join(lines[1:]).strip() + "\n"


def _topic() -> tuple[str | None, int | None]:
    product = db.session.get(Product, SEED_PRODUCT)
    if product is None:
        return None, None
    category_id = db.session.scalar(
        select(Category.id).where(Category.product_key == product.key, Category.key == SEED_CATEGORY)
    )
    return product.key, category_id


def seed_knowledge_base() -> SeedReport:
    """Add what is missing of the seed article, published (no ``actor``: the system wrote it)."""
    article = db.session.get(Article, SEED_ARTICLE_ID)
    product_key, category_id = _topic()
    if article is None:
        now = utcnow()
        article = Article(
            id=SEED_ARTICLE_ID,
            product_key=product_key,
            category_id=category_id,
            visibility=Visibility.PUBLIC,
            created_at=now,
            updated_at=now,
        )
        db.session.add(article)
        db.session.flush()
    added = present = 0
    for language, slug in SEED_SLUGS.items():
        if article.translation(language) is not None:
            present += 1
            continue
        title, body = seed_text(language)
        taken = db.session.scalar(
            select(ArticleTranslation.id).where(
                ArticleTranslation.language == language, ArticleTranslation.slug == slug
            )
        )
        if taken is None:
            # The chosen slug; ``save_translation`` only makes one up for a version it creates itself.
            db.session.add(
                ArticleTranslation(
                    article_id=article.id,
                    article=article,
                    language=language,
                    slug=slug,
                    title=title,
                    body=body,
                    is_published=False,
                    latest_revision=0,
                    updated_at=utcnow(),
                )
            )
            db.session.flush()
        editing.save_translation(
            article,
            language,
            actor=None,
            title=title,
            body=body,
            base_revision=0,
            product_key=article.product_key or product_key,
            category_id=article.category_id if article.product_key else category_id,
            visibility=article.visibility,
            publish=True,
        )
        added += 1
    return SeedReport(added=added, present=present)
