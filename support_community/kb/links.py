"""The addresses of articles: ``/kb/<language>/<slug>``, and the full address for a reply or a mail."""

from __future__ import annotations

from flask import current_app, url_for

from support_community.kb.models import ArticleTranslation


def article_path(translation: ArticleTranslation) -> str:
    return url_for("kb.article", language=translation.language, slug=translation.slug)


def article_url(translation: ArticleTranslation) -> str:
    """The address customers follow: on ``COMMUNITY_URL`` (the public address), not on the request's host."""
    return current_app.config["COMMUNITY_URL"].rstrip("/") + article_path(translation)
