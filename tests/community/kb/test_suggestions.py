"""Articles suggested for what someone types into a new case, before it is opened."""

from __future__ import annotations

from support_community.kb.permissions import Audience
from support_community.kb.services.suggestions import suggest
from tests.community.kb.factories import article, translate

ADD_CLIENT = "Add your client's organization"
ADD_CLIENT_BODY = (
    "Sign in to the Panda portal, choose Add an organization and enter the customer number and the "
    "enterprise number of your client."
)


def titles(hits) -> list[str]:
    return [hit.translation.title for hit in hits]


def test_an_article_holding_words_of_the_case_is_suggested(writer):
    article(ADD_CLIENT, ADD_CLIENT_BODY, author=writer)
    article("Printing invoices", "Choose Print in the invoice menu.", author=writer)
    hits = suggest(
        "How do I add a client?",
        "I want to open cases for a client's organization but cannot find it.",
        language="en",
        audience=Audience.CUSTOMER,
    )
    assert titles(hits) == [ADD_CLIENT]
    assert "<mark>" in str(hits[0].snippet)


def test_one_shared_word_is_not_enough_when_more_were_typed(writer):
    article(ADD_CLIENT, ADD_CLIENT_BODY, author=writer)
    assert (
        suggest(
            "VAT return refused", "The client's VAT return shows code 17.", language="en", audience=Audience.CUSTOMER
        )
        == []
    )


def test_at_most_three_articles_are_suggested_best_first(writer):
    for n in range(5):
        article(f"Enterprise number question {n}", "The enterprise number of a client.", author=writer)
    article("Enterprise number and customer number of a client", ADD_CLIENT_BODY, author=writer)
    hits = suggest("enterprise number", "customer number of my client", language="en", audience=Audience.CUSTOMER)
    assert len(hits) == 3
    assert hits[0].translation.title == "Enterprise number and customer number of a client"


def test_suggestions_are_in_the_readers_language(writer):
    english = article(ADD_CLIENT, ADD_CLIENT_BODY, author=writer)
    translate(
        english,
        "nl",
        "De organisatie van uw klant toevoegen",
        "Meld u aan in het Panda-portaal en geef het klantnummer en het ondernemingsnummer van uw klant in.",
    )
    hits = suggest(
        "Klant toevoegen",
        "Waar geef ik het ondernemingsnummer van mijn klant in?",
        language="nl",
        audience=Audience.CUSTOMER,
    )
    assert titles(hits) == ["De organisatie van uw klant toevoegen"]


def test_internal_articles_and_drafts_are_never_suggested_to_customers(writer):
    article("Internal: enterprise number checks", ADD_CLIENT_BODY, visibility="internal", author=writer)
    article("Draft: enterprise number", ADD_CLIENT_BODY, published=False, author=writer)
    assert suggest("enterprise number", "customer number", language="en", audience=Audience.CUSTOMER) == []


def test_nothing_typed_suggests_nothing(writer):
    article(ADD_CLIENT, ADD_CLIENT_BODY, author=writer)
    assert suggest("", "  ", language="en", audience=Audience.CUSTOMER) == []
    assert suggest("the and", "", language="en", audience=Audience.CUSTOMER) == []
