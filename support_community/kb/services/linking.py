"""The articles an agent may link in a reply to a customer, in the customer's language.

Only what the customer can open: published versions of public articles and of articles
for signed-in customers, never internal ones. Without a search the choice starts with
the articles that match the case's subject (as the new-case form would have suggested).
"""

from __future__ import annotations

from sqlalchemy import select

from shared.i18n import LANGUAGES
from support_community.extensions import db
from support_community.kb.models import ArticleTranslation
from support_community.kb.permissions import Audience
from support_community.kb.services import search, suggestions
from support_community.kb.services.articles import find_published_by_id, in_language, readable

CHOICES_MAX = 10


def customer_language(locale: str | None) -> str:
    code = (locale or "").split("-", 1)[0].split("_", 1)[0].lower()
    return code if code in LANGUAGES else "en"


def linkable(query_text: str, *, language: str, subject: str) -> list[ArticleTranslation]:
    """Up to ``CHOICES_MAX`` articles a customer reading ``language`` can open, for the search or the subject."""
    if query_text.strip():
        found = search.search(query_text, language=language, audience=Audience.CUSTOMER)
        return [hit.translation for hit in found.items[:CHOICES_MAX]]
    hits = suggestions.suggest(subject, "", language=language, audience=Audience.CUSTOMER, limit=CHOICES_MAX)
    chosen = [hit.translation for hit in hits]
    if len(chosen) < CHOICES_MAX:
        recent = readable(
            select(ArticleTranslation).where(
                ArticleTranslation.language == language, ArticleTranslation.id.not_in([t.id for t in chosen])
            ),
            Audience.CUSTOMER,
        ).order_by(ArticleTranslation.updated_at.desc(), ArticleTranslation.id)
        chosen += list(db.session.scalars(recent.limit(CHOICES_MAX - len(chosen))).unique())
    return chosen


def link_target(translation_id: object, *, language: str) -> ArticleTranslation | None:
    """The version to link for the chosen article: the customer's language when it is published in it."""
    chosen = find_published_by_id(translation_id, Audience.CUSTOMER)
    return in_language(chosen, language) if chosen else None
