"""Searching the knowledge base: in the reader's language, only what they may read, with marked snippets."""

from __future__ import annotations

from support_community.kb.permissions import Audience
from support_community.kb.services import search
from tests.community.kb.factories import article, translate

SWITCH = "Switch organization in the Support Community"
SWITCH_BODY = (
    "You work for several clients? Click your name at the top right and choose **Switch organization**. "
    "The list holds the clients who gave you access."
)


def titles(page) -> list[str]:
    return [hit.translation.title for hit in page.items]


def test_an_article_is_found_by_words_of_its_text(writer):
    article(SWITCH, SWITCH_BODY, author=writer)
    article("Printing invoices", "Choose Print in the invoice menu.", author=writer)
    assert titles(search.search("top right clients", language="en", audience=Audience.VISITOR)) == [SWITCH]


def test_a_word_is_found_in_another_form(writer):
    article(SWITCH, SWITCH_BODY, author=writer)
    assert titles(search.search("organizations", language="en", audience=Audience.VISITOR)) == [SWITCH]


def test_articles_with_the_words_in_their_title_come_first(writer):
    article("Bank statements", "How CODA files reach the ledger. See also printing.", author=writer)
    article("Printing the ledger", "Choose Print in the ledger.", author=writer)
    assert titles(search.search("ledger", language="en", audience=Audience.VISITOR))[0] == "Printing the ledger"


def test_only_the_readers_language_is_searched(writer):
    english = article(SWITCH, SWITCH_BODY, author=writer)
    translate(
        english, "nl", "Wissel van organisatie", "Klik rechtsboven op uw naam en kies **Wissel van organisatie**."
    )
    assert titles(search.search("organisatie", language="nl", audience=Audience.VISITOR)) == ["Wissel van organisatie"]
    assert titles(search.search("organisatie", language="en", audience=Audience.VISITOR)) == []


def test_visitors_find_public_articles_only_and_agents_find_internal_ones_too(writer):
    article("Switch organization for visitors", SWITCH_BODY, author=writer)
    article("Switch organization for customers", SWITCH_BODY, visibility="customers", author=writer)
    article("Switch organization: known problems", SWITCH_BODY, visibility="internal", author=writer)
    article("Switch organization, a draft", SWITCH_BODY, published=False, author=writer)
    found = {
        audience: sorted(titles(search.search("switch", language="en", audience=audience))) for audience in Audience
    }
    assert found[Audience.VISITOR] == ["Switch organization for visitors"]
    assert found[Audience.CUSTOMER] == ["Switch organization for customers", "Switch organization for visitors"]
    assert found[Audience.AGENT] == [
        "Switch organization for customers",
        "Switch organization for visitors",
        "Switch organization: known problems",
    ]


def test_the_snippet_marks_the_words_and_escapes_the_text(writer):
    article("Odd characters", "Type <script>alert(1)</script> & then the enterprise number.", author=writer)
    [hit] = search.search("enterprise", language="en", audience=Audience.VISITOR).items
    snippet = str(hit.snippet)
    assert "<mark>enterprise</mark>" in snippet
    assert "<script" not in snippet and "&amp;" in snippet


def test_a_search_without_words_finds_nothing(writer):
    article(author=writer)
    assert search.search("   ", language="en", audience=Audience.VISITOR).items == []
    assert search.search("!!!", language="en", audience=Audience.VISITOR).items == []


def test_results_come_ten_a_page(writer):
    for n in range(search.PER_PAGE + 3):
        article(f"Ledger question {n:02d}", "The ledger.", author=writer)
    first = search.search("ledger", language="en", audience=Audience.VISITOR)
    second = search.search("ledger", language="en", audience=Audience.VISITOR, page=2)
    assert len(first.items) == search.PER_PAGE and first.has_next
    assert len(second.items) == 3 and not second.has_next
    assert not set(titles(first)) & set(titles(second))


def test_a_search_can_be_narrowed_to_a_product(writer):
    from tests.community.factories import make_product

    make_product("invoicing", "Invoicing")
    article("Ledger for invoices", "The ledger.", product="invoicing", author=writer)
    article("Ledger for payslips", "The ledger.", author=writer)
    found = search.search("ledger", language="en", audience=Audience.VISITOR, product="invoicing")
    assert titles(found) == ["Ledger for invoices"]
