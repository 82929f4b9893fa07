"""Articles made through the editing service, as an agent's editor would make them.

article(title, body, language="en", visibility="public", published=True, author=None)
translate(translation, "nl", title, body)    # another language version of the same article
"""

from __future__ import annotations

from support_community.cases.models import Person
from support_community.kb.models import ArticleTranslation
from support_community.kb.services import editing


def article(
    title: str = "Switch organization in the Support Community",
    body: str = "Click your name at the top right and choose **Switch organization**.",
    *,
    language: str = "en",
    visibility: str = "public",
    published: bool = True,
    author: Person | None = None,
    product: str | None = None,
) -> ArticleTranslation:
    return editing.create_article(
        actor=author,
        language=language,
        title=title,
        body=body,
        product_key=product,
        category_id=None,
        visibility=visibility,
        publish=published,
    ).translation


def translate(
    translation: ArticleTranslation,
    language: str,
    title: str,
    body: str,
    *,
    published: bool = True,
    author: Person | None = None,
) -> ArticleTranslation:
    article_row = translation.article
    return editing.save_translation(
        article_row,
        language,
        actor=author,
        title=title,
        body=body,
        base_revision=0,
        product_key=article_row.product_key,
        category_id=article_row.category_id,
        visibility=article_row.visibility,
        publish=published,
    ).translation
