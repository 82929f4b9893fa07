"""The first article, in English, Dutch and French, in the product's own words; loading it twice changes nothing."""

from __future__ import annotations

import pytest

from support_community.kb.permissions import Audience
from support_community.kb.services import articles, editing
from support_community.kb.services.seed import SEED_ARTICLE_ID, SEED_SLUGS, seed_knowledge_base, seed_text

TERMS = {
    "en": ["Switch organization", "enterprise number", "customer number", "request to join", "administrator"],
    "nl": ["Wissel van organisatie", "ondernemingsnummer", "klantnummer", "aanvraag tot toetreding", "beheerder"],
    "fr": ["Changer d'organisation", "numéro d'entreprise", "numéro client", "demande d'adhésion", "administrateur"],
}


def test_the_seed_article_is_published_in_three_languages_for_everyone(community):
    report = seed_knowledge_base()
    assert (report.added, report.present) == (3, 0)
    for language, slug in SEED_SLUGS.items():
        translation = articles.find_published(language, slug, Audience.VISITOR)
        assert translation is not None and translation.article_id == SEED_ARTICLE_ID


@pytest.mark.parametrize("language", sorted(TERMS))
def test_the_seed_article_uses_the_products_terms(language):
    title, body = seed_text(language)
    assert title and body.startswith(("As an accountant", "Als boekhouder", "En tant que comptable"))
    for term in TERMS[language]:
        assert term in body, term


def test_the_seed_article_is_about_the_portal_when_the_demo_catalog_is_loaded(demo_catalog):
    seed_knowledge_base()
    translation = articles.find_published("en", SEED_SLUGS["en"], Audience.VISITOR)
    assert (translation.article.product_key, translation.article.category.key) == ("portal", "organizations")


def test_seeding_again_keeps_what_agents_changed(community, writer):
    seed_knowledge_base()
    dutch = articles.find_published("nl", SEED_SLUGS["nl"], Audience.VISITOR)
    editing.save_translation(
        dutch.article,
        "nl",
        actor=writer,
        title="Cases van uw klanten",
        body="Een kortere tekst.",
        base_revision=1,
        product_key=None,
        category_id=None,
        visibility="public",
        publish=True,
    )
    report = seed_knowledge_base()
    assert (report.added, report.present) == (0, 3)
    assert dutch.title == "Cases van uw klanten"
