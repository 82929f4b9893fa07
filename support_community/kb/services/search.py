"""Searching the knowledge base, with a snippet of each article around the words found.

PostgreSQL: the generated ``search_vector`` column (title weighted above the body) with its
GIN index, queried with ``websearch_to_tsquery`` in the configuration of the reader's
language (``english``, ``dutch``, ``french``: stemming and stop words per language) and
ranked with ``ts_rank``; the snippets are ``ts_headline`` of the page's articles only.
SQLite: every word must occur in the title or the text (``LIKE``), titles first, and the
snippet is cut around the first word found. Either way the snippet is escaped text with
``<mark>`` around the words: nothing an article holds becomes markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Select, and_, bindparam, case, func, or_, select

from support_community.extensions import db
from support_community.kb.models import Article, ArticleTranslation, search_configuration
from support_community.kb.permissions import Audience
from support_community.kb.services.articles import QUERY_MAX, Page, readable

# ts_headline marks the words with characters no article holds (``plain_text`` drops them),
# so the snippet can be escaped as a whole and the marks put back as <mark>.
MARK_START, MARK_END = "\ue000", "\ue001"
HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=32, MinWords=14, ShortWord=2, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
SNIPPET_CHARACTERS = 220
# Ten results a page: each snippet is ts_headline reading its article's whole text again.
PER_PAGE = 10


@dataclass(frozen=True)
class Hit:
    translation: ArticleTranslation
    snippet: Markup


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def words_of(text: str, limit: int = 8) -> list[str]:
    """The words of a search as typed (SQLite's search and the snippets' highlights)."""
    return [word for word in re.findall(r"\w+", text.lower()) if len(word) > 1][:limit]


def prefix_of(word: str) -> str:
    """SQLite's stand-in for stemming: a long word is looked for without its last letters ("organisaties")."""
    return word[: max(5, len(word) - 2)] if len(word) > 5 else word


def marked(headline: str) -> Markup:
    """``ts_headline``'s text, escaped, with its marks as ``<mark>``."""
    return escape(headline).replace(MARK_START, Markup("<mark>")).replace(MARK_END, Markup("</mark>"))


def snippet(text: str, words: Sequence[str], length: int = SNIPPET_CHARACTERS) -> Markup:
    """About ``length`` characters of ``text`` around the first of ``words`` found, the words marked."""
    text = " ".join(text.split())
    lower = text.lower()
    found = [position for position in (lower.find(word) for word in words) if position >= 0]
    start = max(0, min(found) - length // 4) if found else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    piece = text[start:end]
    parts: list[Markup] = [Markup("… ")] if start else []
    if words:
        alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.I)
        position = 0
        for match in pattern.finditer(piece):
            parts.append(escape(piece[position : match.start()]))
            parts.append(Markup("<mark>{}</mark>").format(match.group(0)))
            position = match.end()
        parts.append(escape(piece[position:]))
    else:
        parts.append(escape(piece))
    if end < len(text):
        parts.append(Markup(" …"))
    return Markup("").join(parts)


def search(query_text: str, *, language: str, audience: Audience, product: str = "", page: int = 1) -> Page[Hit]:
    """One page of the language's articles the audience may read that match ``query_text``, best first."""
    text = query_text.strip()[:QUERY_MAX]
    if not text:
        return Page([], page, False)
    base = readable(select(ArticleTranslation).where(ArticleTranslation.language == language), audience)
    if product:
        base = base.where(Article.product_key == product)
    if is_postgres():
        return _search_postgres(base, text, language, page)
    return _search_sqlite(base, text, page)


def _search_postgres(base: Select, text: str, language: str, page: int) -> Page[Hit]:
    configuration = search_configuration(language)
    query = func.websearch_to_tsquery(configuration, bindparam("kb_query", text))
    rank = func.ts_rank(ArticleTranslation.search_vector, query)
    found = (
        base.with_only_columns(ArticleTranslation.id.label("id"), rank.label("rank"))
        .where(ArticleTranslation.search_vector.op("@@")(query))
        .order_by(rank.desc(), ArticleTranslation.title, ArticleTranslation.id)
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
        .subquery()
    )
    headline = func.ts_headline(
        configuration, ArticleTranslation.plain_text, query, bindparam("kb_headline", HEADLINE_OPTIONS)
    )
    rows = db.session.execute(
        select(ArticleTranslation, headline)
        .join(found, found.c.id == ArticleTranslation.id)
        .order_by(found.c.rank.desc(), ArticleTranslation.title, ArticleTranslation.id)
    ).all()
    hits = [Hit(row[0], marked(row[1] or "")) for row in rows]
    return Page(hits[:PER_PAGE], page, len(hits) > PER_PAGE)


def _search_sqlite(base: Select, text: str, page: int) -> Page[Hit]:
    words = words_of(text)
    if not words:
        return Page([], page, False)
    words = [prefix_of(word) for word in words]
    patterns = [_like(word) for word in words]
    every_word = and_(
        *(
            or_(ArticleTranslation.title.ilike(p, escape="\\"), ArticleTranslation.plain_text.ilike(p, escape="\\"))
            for p in patterns
        )
    )
    in_title = sum(case((ArticleTranslation.title.ilike(p, escape="\\"), 1), else_=0) for p in patterns)
    rows = list(
        db.session.scalars(
            base.where(every_word)
            .order_by(in_title.desc(), ArticleTranslation.title, ArticleTranslation.id)  # type: ignore[union-attr]
            .limit(PER_PAGE + 1)
            .offset((page - 1) * PER_PAGE)
        ).unique()
    )
    hits = [Hit(row, snippet(row.plain_text, words)) for row in rows]
    return Page(hits[:PER_PAGE], page, len(hits) > PER_PAGE)


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
