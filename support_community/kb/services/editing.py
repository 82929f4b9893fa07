"""Writing articles: drafts, revisions, publishing and unpublishing a language version.

Every save adds a numbered ``ArticleRevision`` (who, when, title, body). A version that
was never published shows its last draft to the editor; a published one keeps showing
readers the published revision until an agent publishes a newer one. The editor sends
the revision it started from: when someone else saved in between, the save is refused
(``EditConflict``) instead of silently overwriting their work.

Saves of one article are serialised by a lock on its row (PostgreSQL), so two agents
cannot take the same revision number or create the same language version twice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from shared.database import utcnow
from shared.i18n import LANGUAGES
from support_community.cases.models import Category, Person, Product
from support_community.extensions import db
from support_community.kb.models import Article, ArticleRevision, ArticleTranslation, Visibility
from support_community.kb.rendering import plain_text
from support_community.kb.services.articles import latest_revision
from support_community.kb.services.errors import ArticleError, EditConflict

TITLE_MAX = 200
BODY_MAX = 50_000
SLUG_MAX = 80


@dataclass(frozen=True)
class Saved:
    translation: ArticleTranslation
    new_revision: bool  # False when the text was the same as the last revision
    settings_changed: bool
    published: bool  # the save also published the text


def clean_title(title: str | None) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise ArticleError(_("Give the article a title."), field="title")
    if len(text) > TITLE_MAX:
        raise ArticleError(_("The title can be at most %(max)s characters long.", max=TITLE_MAX), field="title")
    return text


def clean_body(body: str | None) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ArticleError(_("Write the text of the article."), field="body")
    if len(text) > BODY_MAX:
        raise ArticleError(_("The text can be at most %(max)s characters long.", max=BODY_MAX), field="body")
    return text


def clean_language(language: str | None) -> str:
    if language not in LANGUAGES:
        raise ArticleError(_("Choose the language of the article."), field="language")
    return str(language)


def clean_visibility(visibility: str | Visibility | None) -> Visibility:
    try:
        return Visibility(visibility or "")
    except ValueError:
        raise ArticleError(_("Choose who may read the article."), field="visibility") from None


def choose_topic(product_key: str | None, category_id: int | None) -> tuple[Product | None, Category | None]:
    """The product and category an article is about: both optional, the category one of the product's."""
    product = db.session.get(Product, product_key) if product_key else None
    if product_key and product is None:
        raise ArticleError(_("Choose one of the products in the list."), field="product")
    if category_id is None:
        return product, None
    category = db.session.get(Category, category_id)
    if category is None or product is None or category.product_key != product.key:
        raise ArticleError(_("Choose a category of the product you chose, or no category."), field="category")
    return product, category


def slugify(title: str) -> str:
    """ "Wissel van organisatie: hoe?" → "wissel-van-organisatie-hoe" (ASCII letters, digits and hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug or "article"


def unique_slug(language: str, title: str) -> str:
    """A slug for a new version in ``language``, numbered when another article has it already."""
    base = slugify(title)
    taken = set(
        db.session.scalars(
            select(ArticleTranslation.slug).where(
                ArticleTranslation.language == language,
                (ArticleTranslation.slug == base) | ArticleTranslation.slug.startswith(base + "-", autoescape=True),
            )
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _lock(article: Article) -> None:
    """Serialise the saves of one article (a no-op on SQLite, which has one writer at a time anyway)."""
    db.session.execute(select(Article.id).where(Article.id == article.id).with_for_update())
    db.session.refresh(article, attribute_names=["translations"])


def _apply_settings(
    article: Article, product: Product | None, category: Category | None, visibility: Visibility
) -> bool:
    new = (product.key if product else None, category.id if category else None, visibility)
    if (article.product_key, article.category_id, article.visibility) == new:
        return False
    article.product, article.category, article.visibility = product, category, visibility
    article.product_key, article.category_id = new[0], new[1]
    return True


def _show(translation: ArticleTranslation, revision: ArticleRevision) -> None:
    """Make ``revision`` the text of the translation (what readers see once it is published)."""
    translation.title = revision.title
    translation.body = revision.body
    translation.plain_text = plain_text(revision.body)


def create_article(
    *,
    actor: Person | None,
    language: str | None,
    title: str | None,
    body: str | None,
    product_key: str | None,
    category_id: int | None,
    visibility: str | Visibility | None,
    publish: bool = False,
) -> Saved:
    """A new article with its first language version (a draft, or published at once)."""
    chosen_language = clean_language(language)
    product, category = choose_topic(product_key, category_id)
    level = clean_visibility(visibility)
    clean_title(title)
    clean_body(body)
    now = utcnow()
    article = Article(
        product_key=product.key if product else None,
        product=product,
        category_id=category.id if category else None,
        category=category,
        visibility=level,
        created_by_sub=actor.sub if actor else None,
        created_at=now,
        updated_at=now,
    )
    db.session.add(article)
    db.session.flush()
    return save_translation(
        article,
        chosen_language,
        actor=actor,
        title=title,
        body=body,
        base_revision=0,
        product_key=product_key,
        category_id=category_id,
        visibility=level,
        publish=publish,
    )


def save_translation(
    article: Article,
    language: str,
    *,
    actor: Person | None,
    title: str | None,
    body: str | None,
    base_revision: int | None,
    product_key: str | None,
    category_id: int | None,
    visibility: str | Visibility | None,
    publish: bool = False,
) -> Saved:
    """Save the editor's text as the next revision of the ``language`` version (made when missing).

    ``base_revision`` is the revision the editor showed (0 for a version not written yet).
    With ``publish`` the saved text is published at once.
    """
    language = clean_language(language)
    product, category = choose_topic(product_key, category_id)
    level = clean_visibility(visibility)
    new_title, new_body = clean_title(title), clean_body(body)
    _lock(article)
    translation = article.translation(language)
    current = translation.latest_revision if translation else 0
    if (base_revision or 0) != current:
        raise EditConflict(
            _(
                "Someone else saved this article in the meantime. Your text is still in the form: "
                "compare it with the latest version in the history, then save again."
            )
        )
    now = utcnow()
    settings_changed = _apply_settings(article, product, category, level)
    if translation is None:
        translation = ArticleTranslation(
            article_id=article.id,
            article=article,
            language=language,
            slug=unique_slug(language, new_title),
            title=new_title,
            body=new_body,
            plain_text=plain_text(new_body),
            is_published=False,
            latest_revision=0,
            updated_at=now,
        )
        db.session.add(translation)
        db.session.flush()
    last = latest_revision(translation)
    new_revision = last is None or (last.title, last.body) != (new_title, new_body)
    if new_revision:
        revision = ArticleRevision(
            translation_id=translation.id,
            number=translation.latest_revision + 1,
            title=new_title,
            body=new_body,
            author_sub=actor.sub if actor else None,
            author=actor,
            created_at=now,
        )
        db.session.add(revision)
        translation.latest_revision = revision.number
        if not translation.is_published:
            _show(translation, revision)
            translation.updated_at = now
    if new_revision or settings_changed:
        article.updated_at = now
    db.session.flush()
    published = publish_latest(translation, actor=actor) if publish else False
    return Saved(translation, new_revision, settings_changed, published)


def publish_latest(translation: ArticleTranslation, *, actor: Person | None) -> bool:
    """Publish the last saved revision; False when exactly that is published already."""
    if translation.is_published and translation.published_revision == translation.latest_revision:
        return False
    revision = latest_revision(translation)
    if revision is None:
        raise ArticleError(_("Save the article before publishing it."))
    now = utcnow()
    _show(translation, revision)
    translation.is_published = True
    translation.published_revision = revision.number
    translation.first_published_at = translation.first_published_at or now
    translation.updated_at = now
    translation.article.updated_at = now
    db.session.flush()
    return True


def unpublish(translation: ArticleTranslation, *, actor: Person | None) -> bool:
    """Take the version off the site (its history stays); False when it was not published."""
    if not translation.is_published:
        return False
    translation.is_published = False
    translation.article.updated_at = utcnow()
    db.session.flush()
    return True
