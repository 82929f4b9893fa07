"""The knowledge base: help articles in English, Dutch and French, their history, and what readers said.

An ``Article`` is what the three language versions share (product, category, who may
read it); each ``ArticleTranslation`` is one language's version, reachable at
``/kb/<language>/<slug>``. Agents write a translation in ``ArticleRevision`` s: every
save is a new numbered revision (who and when), and publishing makes one revision the
text readers see (``title``/``body`` of the translation), so a published article can
be reworked in a draft without readers seeing the half-done text.

``ArticleFeedback`` counts what readers told us: "this answered my question" on the
new-case form (a deflection: a case that was never opened) and "was this helpful?".
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    DDL,
    Boolean,
    Computed,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
    literal_column,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from shared.database import UTCDateTime, new_uuid, utcnow
from support_community.cases.models import Category, Person, Product
from support_community.extensions import Base


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Visibility(enum.StrEnum):
    """Who may read an article (all its language versions alike)."""

    PUBLIC = "public"  # anyone, also without signing in
    CUSTOMERS = "customers"  # signed-in people
    INTERNAL = "internal"  # support agents only


class FeedbackKind(enum.StrEnum):
    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"
    DEFLECTION = "deflection"  # "this answered my question" instead of opening a case


# Each language is searched with its own stemming and stop words: "organisaties" finds
# "organisatie", "entreprises" finds "entreprise".
SEARCH_CONFIGURATIONS = {"en": "english", "nl": "dutch", "fr": "french"}


def search_configuration(language: str) -> ColumnElement[Any]:
    """The text-search configuration of ``language`` as a SQL constant (PostgreSQL)."""
    return literal_column(f"'{SEARCH_CONFIGURATIONS.get(language, 'english')}'::regconfig")


_CONFIGURATION_OF_ROW = (
    "CASE language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'fr' THEN 'french'::regconfig ELSE 'english'::regconfig END"
)
# Title words weigh more than body words when results are ranked.
SEARCH_DOCUMENT = (
    f"setweight(to_tsvector({_CONFIGURATION_OF_ROW}, coalesce(title, '')), 'A') || "
    f"setweight(to_tsvector({_CONFIGURATION_OF_ROW}, coalesce(plain_text, '')), 'B')"
)


class PostgresGenerated(Computed):
    """``GENERATED ALWAYS AS (…) STORED`` on PostgreSQL; elsewhere (SQLite) an ordinary column left empty.

    SQLite has no ``to_tsvector``: the knowledge base searches there without the column.
    """

    inherit_cache = True


@compiles(PostgresGenerated)
def _not_generated(element: PostgresGenerated, compiler: Any, **kw: Any) -> str:
    return ""


@compiles(PostgresGenerated, "postgresql")
def _generated(element: PostgresGenerated, compiler: Any, **kw: Any) -> str:
    return compiler.visit_computed_column(element, **kw)


class Article(Base):
    """What the language versions of one article share."""

    __tablename__ = "kb_articles"
    __table_args__ = (Index("ix_kb_articles_updated", "updated_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    product_key: Mapped[str | None] = mapped_column(ForeignKey("products.key", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility), default=Visibility.PUBLIC)
    created_by_sub: Mapped[str | None] = mapped_column(ForeignKey("people.sub", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product | None] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")
    translations: Mapped[list[ArticleTranslation]] = relationship(
        back_populates="article", lazy="selectin", order_by="ArticleTranslation.language"
    )

    def translation(self, language: str) -> ArticleTranslation | None:
        return next((t for t in self.translations if t.language == language), None)


class ArticleTranslation(Base):
    """One language's version of an article: the published text readers see, and its state."""

    __tablename__ = "kb_translations"
    __table_args__ = (
        UniqueConstraint("article_id", "language"),
        UniqueConstraint("language", "slug"),
        # The list of a language's published articles, by title.
        Index("ix_kb_translations_listing", "language", "is_published", "title"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    # Chosen from the first title and never changed: links in replies and bookmarks keep working.
    slug: Mapped[str] = mapped_column(String(120))
    # The text readers see: the published revision (or, before the first publication, the last draft).
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown
    plain_text: Mapped[str] = mapped_column(Text, default="")  # the body without Markdown: searched and quoted
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_revision: Mapped[int | None] = mapped_column(Integer)
    latest_revision: Mapped[int] = mapped_column(Integer, default=0)
    first_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)  # the readers' "last updated"
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR().with_variant(Text(), "sqlite"),
        PostgresGenerated(SEARCH_DOCUMENT, persisted=True),
        nullable=True,
        deferred=True,
    )

    article: Mapped[Article] = relationship(back_populates="translations", lazy="joined", innerjoin=True)

    @property
    def has_unpublished_changes(self) -> bool:
        return self.latest_revision > (self.published_revision or 0) if self.is_published else False


# A GIN index on PostgreSQL; on SQLite an index of an empty column (kept so both schemas match the models).
Index("ix_kb_translations_search", ArticleTranslation.search_vector, postgresql_using="gin")
# Ranking reads the vector of every article found: kept in the row (compressed) rather than in the TOAST
# table, it costs a page read instead of an index look-up and two page reads (bench/kb_search.py: about
# twice as fast for a common word). Very long articles still move out of the row when they must.
SEARCH_VECTOR_STORAGE = "ALTER TABLE kb_translations ALTER COLUMN search_vector SET STORAGE MAIN"
event.listen(ArticleTranslation.__table__, "after_create", DDL(SEARCH_VECTOR_STORAGE).execute_if(dialect="postgresql"))


class ArticleRevision(Base):
    """A saved version of a translation: the history agents read (who, when, what)."""

    __tablename__ = "kb_revisions"
    __table_args__ = (UniqueConstraint("translation_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    translation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kb_translations.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author_sub: Mapped[str | None] = mapped_column(ForeignKey("people.sub", ondelete="SET NULL"))  # None: seeded
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Person | None] = relationship(lazy="joined")


class ArticleFeedback(Base):
    """One reader's "helpful"/"not helpful", or a question answered without a case (a deflection)."""

    __tablename__ = "kb_feedback"
    __table_args__ = (
        Index("ix_kb_feedback_article_kind", "article_id", "kind"),
        Index("ix_kb_feedback_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    translation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kb_translations.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    kind: Mapped[FeedbackKind] = mapped_column(_enum(FeedbackKind))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # deflections: the case it would have been for
    person_sub: Mapped[str | None] = mapped_column(ForeignKey("people.sub", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
