"""Linking a help article in an agent's reply: the choices on the agents' case page, and the link itself.

The agents' case page (``agents.views``) shows a search and a list of articles the customer
can open, in the customer's language; "Insert link" adds the article's address to the
reply (``static/kb-link.js`` where the cursor is; without JavaScript the form comes back
with the address at the end).
"""

from __future__ import annotations

from typing import Any

from support_community.cases.models import Case
from support_community.kb.links import article_url
from support_community.kb.services import linking


def case_language(case: Case) -> str:
    """The language the customer reads: the language of the person who opened the case."""
    return linking.customer_language(case.opened_by.locale)


def link_choices(case: Case, query_text: str = "") -> dict[str, Any]:
    """What the case page's "Link a help article" shows."""
    language = case_language(case)
    choices = linking.linkable(query_text[:200], language=language, subject=case.subject)
    return {
        "kb_language": language,
        "kb_query": query_text[:200],
        "kb_choices": [(translation, article_url(translation)) for translation in choices],
    }


def with_link(body: str | None, article_id: str | None, case: Case) -> str | None:
    """``body`` with the address of the chosen article added at the end; None when it cannot be linked."""
    target = linking.link_target(article_id, language=case_language(case))
    if target is None:
        return None
    text = (body or "").rstrip()
    return f"{text}\n\n{article_url(target)}" if text else article_url(target)
