"""Finding articles: for readers (published, and only what their audience may read) and for the editor.

A reader reaches a language version by its address (``/kb/<language>/<slug>``); an
article that is not published in that language, or that the reader's audience may not
read, is simply not found (the page answers 404, as for an address that never existed).
Agents find every article and every version, drafts too, by the article's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from shared.i18n import LANGUAGES
from support_community.extensions import db
from support_community.kb.models import Article, ArticleRevision, ArticleTranslation
from support_community.kb.permissions import Audience

PER_PAGE = 20
MAX_PAGE = 200
QUERY_MAX = 200

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def is_last_allowed(self) -> bool:
        return self.page >= MAX_PAGE


def page_number(raw: object) -> int:
    """A page number from the query string: odd values are page 1, large ones the last allowed page."""
    try:
        return min(max(int(str(raw)), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def readable(query: Select, audience: Audience) -> Select:
    """Only published versions of articles the audience may read (the query selects from translations)."""
    return query.join(Article, Article.id == ArticleTranslation.article_id).where(
        ArticleTranslation.is_published.is_(True), Article.visibility.in_(audience.visibilities)
    )


def paged(query: Select, page: int, per_page: int = PER_PAGE) -> tuple[list, bool]:
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)).unique())
    return rows[:per_page], len(rows) > per_page


# -- readers -------------------------------------------------------------------------------------
def find_published(language: str, slug: str, audience: Audience) -> ArticleTranslation | None:
    """The published version at ``/kb/<language>/<slug>`` if ``audience`` may read it."""
    if language not in LANGUAGES:
        return None
    query = select(ArticleTranslation).where(ArticleTranslation.language == language, ArticleTranslation.slug == slug)
    return db.session.scalars(readable(query, audience)).unique().one_or_none()


def find_published_by_id(translation_id: object, audience: Audience) -> ArticleTranslation | None:
    wanted = as_uuid(translation_id)
    if wanted is None:
        return None
    query = select(ArticleTranslation).where(ArticleTranslation.id == wanted)
    return db.session.scalars(readable(query, audience)).unique().one_or_none()


def published_versions(article: Article) -> list[ArticleTranslation]:
    """The article's published language versions, in the order en, nl, fr (the ``hreflang`` alternates)."""
    return sorted((t for t in article.translations if t.is_published), key=lambda t: LANGUAGES.index(t.language))


def published_list(language: str, audience: Audience, *, product: str = "", page: int = 1) -> Page[ArticleTranslation]:
    """One page of the language's published articles the audience may read, by title."""
    query = readable(select(ArticleTranslation).where(ArticleTranslation.language == language), audience)
    if product:
        query = query.where(Article.product_key == product)
    items, has_next = paged(query.order_by(ArticleTranslation.title, ArticleTranslation.id), page)
    return Page(items, page, has_next)


def in_language(translation: ArticleTranslation, language: str) -> ArticleTranslation:
    """The published version of the same article in ``language``, or ``translation`` itself when there is none."""
    if translation.language == language:
        return translation
    other = translation.article.translation(language)
    return other if other is not None and other.is_published else translation


# -- the editor ----------------------------------------------------------------------------------
def find_article(article_id: object) -> Article | None:
    wanted = as_uuid(article_id)
    return db.session.get(Article, wanted) if wanted else None


def editor_list(query_text: str = "", *, page: int = 1) -> Page[Article]:
    """Every article, drafts and internal ones too, most recently changed first; ``query_text`` matches titles."""
    query = select(Article).options(selectinload(Article.translations))
    words = query_text.strip()[:QUERY_MAX].split()[:8]
    if words:
        titles = select(ArticleTranslation.article_id).where(
            *(func.lower(ArticleTranslation.title).contains(word.lower(), autoescape=True) for word in words)
        )
        query = query.where(Article.id.in_(titles))
    items, has_next = paged(query.order_by(Article.updated_at.desc(), Article.id), page, per_page=25)
    return Page(items, page, has_next)


def title_for(article: Article, language: str) -> str:
    """The article's title as an agent reading ``language`` knows it best: that version's, else the first."""
    chosen = article.translation(language) or next(iter(article.translations), None)
    return chosen.title if chosen else ""


def revisions(translation: ArticleTranslation) -> list[ArticleRevision]:
    """The version history, newest first."""
    return list(
        db.session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.translation_id == translation.id)
            .order_by(ArticleRevision.number.desc())
        )
    )


def revision(translation: ArticleTranslation, number: int) -> ArticleRevision | None:
    return db.session.scalars(
        select(ArticleRevision).where(
            ArticleRevision.translation_id == translation.id, ArticleRevision.number == number
        )
    ).one_or_none()


def latest_revision(translation: ArticleTranslation | None) -> ArticleRevision | None:
    if translation is None or not translation.latest_revision:
        return None
    return revision(translation, translation.latest_revision)


def missing_languages(article: Article) -> list[str]:
    """The languages the article has no version in yet (the editor links to write them)."""
    present = {t.language for t in article.translations}
    return [language for language in LANGUAGES if language not in present]


def translations_by_id(ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ArticleTranslation]:
    if not ids:
        return {}
    rows = db.session.scalars(select(ArticleTranslation).where(ArticleTranslation.id.in_(list(ids)))).unique()
    return {row.id: row for row in rows}
