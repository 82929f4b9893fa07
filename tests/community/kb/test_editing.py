"""Writing articles: drafts, revisions with who and when, publishing per language, and edit conflicts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from support_community.extensions import db
from support_community.kb.models import ArticleRevision, Visibility
from support_community.kb.permissions import Audience
from support_community.kb.services import articles, editing
from support_community.kb.services.errors import ArticleError, EditConflict
from tests.community.factories import make_person, make_product
from tests.community.kb.factories import article, translate


def save(translation, *, actor, title=None, body=None, base=None, publish=False, **settings):
    row = translation.article
    return editing.save_translation(
        row,
        translation.language,
        actor=actor,
        title=title or translation.title,
        body=body or translation.body,
        base_revision=translation.latest_revision if base is None else base,
        product_key=settings.get("product_key", row.product_key),
        category_id=settings.get("category_id", row.category_id),
        visibility=settings.get("visibility", row.visibility),
        publish=publish,
    )


def test_a_draft_is_not_on_the_site_until_it_is_published(writer):
    draft = article("Printing invoices", "Choose **Print**.", published=False, author=writer)
    assert not draft.is_published
    assert articles.find_published("en", draft.slug, Audience.AGENT) is None
    assert editing.publish_latest(draft, actor=writer) is True
    assert articles.find_published("en", draft.slug, Audience.VISITOR) is draft
    assert draft.first_published_at is not None


def test_every_save_is_a_numbered_revision_with_who_and_when(writer):
    translation = article("Printing invoices", "Choose Print.", author=writer)
    colleague = make_person("colleague", name="Eva Claes", is_agent=True)
    save(translation, actor=colleague, body="Choose **Print** in the menu.")
    history = articles.revisions(translation)
    assert [(r.number, r.author.name, r.body) for r in history] == [
        (2, "Eva Claes", "Choose **Print** in the menu."),
        (1, "Wendy Writer", "Choose Print."),
    ]
    assert all(r.created_at is not None for r in history)


def test_readers_keep_the_published_text_while_a_new_draft_is_written(writer):
    translation = article("Printing invoices", "Choose Print.", author=writer)
    saved = save(translation, actor=writer, title="Printing invoices and credit notes", body="Half done …")
    assert saved.new_revision and not saved.published
    assert translation.has_unpublished_changes
    assert (translation.title, translation.body) == ("Printing invoices", "Choose Print.")
    editing.publish_latest(translation, actor=writer)
    assert (translation.title, translation.body) == ("Printing invoices and credit notes", "Half done …")
    assert translation.published_revision == 2 and not translation.has_unpublished_changes


def test_saving_the_same_text_again_adds_no_revision(writer):
    translation = article(author=writer)
    saved = save(translation, actor=writer)
    assert not saved.new_revision and not saved.settings_changed
    assert translation.latest_revision == 1


def test_a_save_based_on_an_older_revision_is_refused_instead_of_overwriting(writer):
    translation = article(author=writer)
    save(translation, actor=writer, body="A colleague's better text.")
    with pytest.raises(EditConflict):
        save(translation, actor=writer, body="My text, written on version 1.", base=1)
    assert translation.latest_revision == 2


def test_unpublishing_takes_a_version_off_the_site_and_keeps_its_history(writer):
    translation = article(author=writer)
    assert editing.unpublish(translation, actor=writer) is True
    assert articles.find_published("en", translation.slug, Audience.AGENT) is None
    assert len(articles.revisions(translation)) == 1
    assert editing.unpublish(translation, actor=writer) is False


def test_each_language_is_published_on_its_own(writer):
    english = article("Switch organization", "Click your name.", author=writer)
    dutch = translate(english, "nl", "Wissel van organisatie", "Klik op uw naam.", published=False)
    assert articles.missing_languages(english.article) == ["fr"]
    assert articles.find_published("nl", dutch.slug, Audience.VISITOR) is None
    assert [t.language for t in articles.published_versions(english.article)] == ["en"]
    editing.publish_latest(dutch, actor=writer)
    assert [t.language for t in articles.published_versions(english.article)] == ["en", "nl"]


def test_the_address_comes_from_the_first_title_and_never_changes(writer):
    first = article("Wissel van organisatie: hoe?", "Tekst.", language="nl", author=writer)
    second = article("Wissel van organisatie: hoe?", "Andere tekst.", language="nl", author=writer)
    assert (first.slug, second.slug) == ("wissel-van-organisatie-hoe", "wissel-van-organisatie-hoe-2")
    save(first, actor=writer, title="Een andere titel", publish=True)
    assert first.slug == "wissel-van-organisatie-hoe"


def test_accents_are_dropped_from_the_address(writer):
    assert article("Numéro d'entreprise géré", "Texte.", language="fr", author=writer).slug == (
        "numero-d-entreprise-gere"
    )


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": " "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "  \n "}, "body"),
        ({"language": "de"}, "language"),
        ({"visibility": "everyone"}, "visibility"),
        ({"product_key": "nothing-like-it"}, "product"),
    ],
)
def test_an_article_that_cannot_be_saved_says_which_field_is_wrong(writer, changes, field):
    values = {
        "actor": writer,
        "language": "en",
        "title": "Title",
        "body": "Text",
        "product_key": None,
        "category_id": None,
        "visibility": "public",
    } | changes
    with pytest.raises(ArticleError) as refused:
        editing.create_article(**values)
    assert refused.value.field == field


def test_a_category_must_belong_to_the_articles_product(writer, demo_catalog):
    from tests.community.factories import category

    with pytest.raises(ArticleError) as refused:
        editing.create_article(
            actor=writer,
            language="en",
            title="Title",
            body="Text",
            product_key="payroll",
            category_id=category("accounting", "vat").id,
            visibility="public",
        )
    assert refused.value.field == "category"


def test_product_and_audience_are_shared_by_every_language(writer):
    make_product("invoicing", "Invoicing")
    english = article(author=writer)
    dutch = translate(english, "nl", "Wissel van organisatie", "Klik op uw naam.")
    saved = save(dutch, actor=writer, visibility=Visibility.INTERNAL, product_key="invoicing")
    assert saved.settings_changed and not saved.new_revision
    assert english.article.visibility is Visibility.INTERNAL and english.article.product_key == "invoicing"
    assert articles.find_published("en", english.slug, Audience.CUSTOMER) is None


def test_revisions_are_kept_in_the_database_per_version(writer):
    translation = article(author=writer)
    rows = db.session.scalars(select(ArticleRevision).where(ArticleRevision.translation_id == translation.id)).all()
    assert [row.number for row in rows] == [1]
