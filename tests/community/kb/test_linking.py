"""Agents link a help article in a reply: in the customer's language, never an internal one."""

from __future__ import annotations

import pytest

from tests.community.auth.fake_op import COMMUNITY_URL
from tests.community.factories import make_case, make_person
from tests.community.kb.factories import article, translate


def main_of(response) -> str:
    return response.get_data(as_text=True).split('<main id="main"', 1)[1]


@pytest.fixture()
def dutch_case(community):
    customer = make_person("griet", name="Griet Vermeulen", locale="nl")
    return make_case(customer, subject="Hoe wissel ik van organisatie?")


@pytest.fixture()
def switch(writer):
    english = article("Switch organization", "Click your name and choose **Switch organization**.", author=writer)
    dutch = translate(english, "nl", "Wissel van organisatie", "Klik op uw naam en kies **Wissel van organisatie**.")
    return english, dutch


def test_the_case_page_offers_articles_in_the_customers_language(
    community_client, agent_login, dutch_case, switch, writer
):
    article(
        "Interne wissel van organisatie",
        "Alleen voor ons: wissel van organisatie.",
        language="nl",
        visibility="internal",
        author=writer,
    )
    page = main_of(community_client.get(f"/agent/cases/{dutch_case.id}"))
    assert "Link a help article" in page
    assert f'data-url="{COMMUNITY_URL}/kb/nl/{switch[1].slug}">Wissel van organisatie</option>' in page
    assert "Interne wissel" not in page


def test_insert_adds_the_address_in_the_customers_language_to_the_reply(
    community_client, agent_login, dutch_case, switch
):
    url = f"/agent/cases/{dutch_case.id}"
    data = {"body": "Zie dit artikel:", "article": str(switch[0].id), "article_q": ""}
    response = community_client.post_form(f"{url}/article-link", data, page=url)
    assert response.status_code == 200
    assert f"Zie dit artikel:\n\n{COMMUNITY_URL}/kb/nl/{switch[1].slug}</textarea>" in main_of(response)


def test_find_shows_the_articles_matching_the_search(community_client, agent_login, dutch_case, switch, writer):
    article("Facturen afdrukken", "Kies Afdrukken in het menu facturen.", language="nl", author=writer)
    page = main_of(community_client.get(f"/agent/cases/{dutch_case.id}", query_string={"article_q": "facturen"}))
    options = page.split('id="article-choice"', 1)[1].split("</select>", 1)[0]
    assert "Facturen afdrukken" in options and "Wissel van organisatie" not in options
    assert 'value="facturen" maxlength="200" form="kb-find"' in page


def test_the_search_is_a_form_of_its_own_so_enter_in_it_never_sends_the_reply(
    community_client, agent_login, dutch_case
):
    page = main_of(community_client.get(f"/agent/cases/{dutch_case.id}"))
    reply = page.split('action="/agent/cases/', 1)[1].split("</form>", 1)[0]
    assert 'form="kb-find"' in reply  # the search field and its button belong to the other form
    assert reply.index("Send reply to customer") < reply.index("Insert link")  # Tab reaches the reply's button first


def test_insert_without_an_article_explains_itself(community_client, agent_login, dutch_case):
    url = f"/agent/cases/{dutch_case.id}"
    response = community_client.post_form(f"{url}/article-link", {"body": "x"}, page=url)
    assert response.status_code == 400
    assert "Choose a help article first." in main_of(response)


def test_an_internal_article_cannot_be_linked(community_client, agent_login, dutch_case, writer):
    internal = article("Known defects", "Only for us.", visibility="internal", author=writer)
    url = f"/agent/cases/{dutch_case.id}"
    data = {"body": "x", "article": str(internal.id)}
    assert community_client.post_form(f"{url}/article-link", data, page=url).status_code == 400
