"""Articles that may answer a question before it becomes a case (the new-case form's suggestions).

What someone types into a case is a sentence or a story, not a search: asking for every
word would find nothing. An article is suggested when it holds at least two of the
words typed (or the one word, when only one counts); the best come first (PostgreSQL's
``ts_rank`` over all the words: more words found, and words in the title, rank higher).
Words are compared as the reader's language stems them ("organisaties" → "organisatie");
stop words do not count. The first ``WORDS_MAX`` words count, the subject's first, as it
comes first. "At least two words" is itself a text-search query (any pair of the words),
so the GIN index finds the candidates and only they are ranked.

SQLite has no stemming: words of three letters or more, without a short list of stop
words, are looked for as typed (long words without their last letters).
"""

from __future__ import annotations

from sqlalchemy import Select, bindparam, case, cast, func, or_, select, text
from sqlalchemy.dialects.postgresql import TSQUERY

from support_community.extensions import db
from support_community.kb.models import SEARCH_CONFIGURATIONS, ArticleTranslation, search_configuration
from support_community.kb.permissions import Audience
from support_community.kb.services.articles import readable
from support_community.kb.services.search import (
    HEADLINE_OPTIONS,
    Hit,
    is_postgres,
    marked,
    prefix_of,
    snippet,
    words_of,
)

SUGGESTIONS_MAX = 3
TEXT_MAX = 2_000
WORDS_MAX = 12

STOP_WORDS = {
    "en": set(
        "the and for are but not you your with this that have has had was were from they them what when "
        "which who how can could would should there their then than into about our out all any its".split()
    ),
    "nl": set(
        "de het een en van voor met niet dat die dit wat wie hoe kan kunnen zijn is was waren wordt worden "
        "ook maar als bij naar aan uit over onze ons mijn zij wij jij hij het heb hebben heeft".split()
    ),
    "fr": set(
        "les des une est pas pour dans que qui quoi avec sur par mais nous vous ils elles son ses sont "
        "été être avoir cette ces mon mes notre nos votre vos leur leurs aux comment".split()
    ),
}


def suggest(
    subject: str, description: str, *, language: str, audience: Audience, limit: int = SUGGESTIONS_MAX
) -> list[Hit]:
    """Up to ``limit`` published articles in ``language`` the audience may read, for what was typed."""
    typed = f"{subject or ''}\n{description or ''}"[:TEXT_MAX].strip()
    if not typed:
        return []
    base = readable(select(ArticleTranslation.id).where(ArticleTranslation.language == language), audience)
    if is_postgres():
        return _suggest_postgres(base, typed, language, limit)
    return _suggest_sqlite(base, typed, language, limit)


def _quoted(lexeme: str) -> str:
    """A lexeme as a ``tsquery`` literal, as it is (already stemmed: not to be stemmed again)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _lexemes(typed: str, language: str) -> list[str]:
    """The stemmed words of ``typed`` in the order they first occur, without stop words."""
    rows = db.session.scalars(
        text(
            "SELECT lexeme FROM unnest(to_tsvector(CAST(:configuration AS regconfig), :typed)) "
            "ORDER BY positions[1] LIMIT :limit"
        ),
        {"configuration": SEARCH_CONFIGURATIONS.get(language, "english"), "typed": typed, "limit": WORDS_MAX},
    )
    return [lexeme for lexeme in rows if len(lexeme) > 1]


def _suggest_postgres(base: Select, typed: str, language: str, limit: int) -> list[Hit]:
    lexemes = _lexemes(typed, language)
    if not lexemes:
        return []
    quoted = [_quoted(lexeme) for lexeme in lexemes]
    pairs = [f"({a} & {b})" for n, a in enumerate(quoted) for b in quoted[n + 1 :]] or quoted
    vector = ArticleTranslation.search_vector
    any_word = cast(bindparam("kb_any_word", " | ".join(quoted)), TSQUERY)
    two_words = cast(bindparam("kb_two_words", " | ".join(pairs)), TSQUERY)
    rank = func.ts_rank(vector, any_word)
    best = (
        base.add_columns(rank.label("rank"))
        .where(vector.op("@@")(two_words))
        .order_by(rank.desc(), ArticleTranslation.id)
        .limit(limit)
        .subquery()
    )
    headline = func.ts_headline(
        search_configuration(language),
        ArticleTranslation.plain_text,
        any_word,
        bindparam("kb_headline", HEADLINE_OPTIONS),
    )
    rows = db.session.execute(
        select(ArticleTranslation, headline)
        .join(best, best.c.id == ArticleTranslation.id)
        .order_by(best.c.rank.desc(), best.c.id)
    ).all()
    return [Hit(row[0], marked(row[1] or "")) for row in rows]


def _suggest_sqlite(base: Select, typed: str, language: str, limit: int) -> list[Hit]:
    stop = STOP_WORDS.get(language, set())
    typed_words = (w for w in words_of(typed, limit=200) if len(w) > 2 and w not in stop)
    words = list(dict.fromkeys(prefix_of(w) for w in typed_words))[:WORDS_MAX]
    if not words:
        return []
    patterns = ["%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for word in words]
    holds = [
        or_(ArticleTranslation.title.ilike(p, escape="\\"), ArticleTranslation.plain_text.ilike(p, escape="\\"))
        for p in patterns
    ]
    matched = sum(case((condition, 1), else_=0) for condition in holds)
    candidates = base.add_columns(matched.label("matched")).where(or_(*holds)).subquery()  # type: ignore[union-attr]
    best = (
        select(candidates.c.id, candidates.c.matched)
        .where(candidates.c.matched >= min(2, len(words)))
        .order_by(candidates.c.matched.desc(), candidates.c.id)
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        select(ArticleTranslation).join(best, best.c.id == ArticleTranslation.id).order_by(best.c.matched.desc())
    ).scalars()
    return [Hit(row, snippet(row.plain_text, words)) for row in rows.unique()]
