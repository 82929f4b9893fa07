"""The readers' pages: /kb (browse and search) and /kb/<language>/<slug>, as visitors, customers and agents see them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from support_community.extensions import db
from support_community.kb.models import ArticleFeedback, FeedbackKind
from tests.community.auth.fake_op import COMMUNITY_URL
from tests.community.factories import PEETERS
from tests.community.kb.factories import article, translate

SWITCH = "Switch organization in the Support Community"


def main_of(response) -> str:
    return response.get_data(as_text=True).split('<main id="main"', 1)[1]


def url_of(translation) -> str:
    return f"/kb/{translation.language}/{translation.slug}"


@pytest.fixture()
def switch(writer):
    english = article(SWITCH, "Click your name at the top right and choose **Switch organization**.", author=writer)
    translate(
        english, "nl", "Wissel van organisatie", "Klik rechtsboven op uw naam en kies **Wissel van organisatie**."
    )
    translate(
        english, "fr", "Changer d'organisation", "Cliquez sur votre nom et choisissez **Changer d'organisation**."
    )
    return english


def test_a_visitor_reads_a_public_article_with_links_to_its_translations(community_client, switch):
    response = community_client.get(url_of(switch))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"<h1>{SWITCH}</h1>" in page
    assert "<strong>Switch organization</strong>" in page
    assert f'<link rel="canonical" href="{COMMUNITY_URL}{url_of(switch)}">' in page
    for language, slug in (("nl", "wissel-van-organisatie"), ("fr", "changer-d-organisation")):
        assert f'<link rel="alternate" hreflang="{language}" href="' in page
        assert f'href="/kb/{language}/{slug}" hreflang="{language}" lang="{language}"' in page
    assert "Was this article helpful?" in page


def test_an_article_in_another_language_than_the_page_says_so_to_screen_readers(community_client, switch):
    page = community_client.get("/kb/nl/wissel-van-organisatie").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<h1 lang="nl">Wissel van organisatie</h1>' in page


@pytest.mark.parametrize(
    "visibility, visitor, customer, agent",
    [
        ("public", 200, 200, 200),
        ("customers", 404, 200, 200),
        ("internal", 404, 404, 200),
    ],
)
def test_who_may_read_an_article(community_client, login, writer, visibility, visitor, customer, agent):
    translation = article("Printing invoices", "Choose Print.", visibility=visibility, author=writer)
    assert community_client.get(url_of(translation)).status_code == visitor
    login(orgs=[])
    assert community_client.get(url_of(translation)).status_code == customer
    login(orgs=[], roles=["support_agent"])
    assert community_client.get(url_of(translation)).status_code == agent


def test_only_the_three_languages_have_addresses(community_client, switch):
    assert community_client.get(f"/kb/de/{switch.slug}").status_code == 404


def test_a_draft_is_not_found_even_by_an_agent_outside_the_editor(community_client, login, writer):
    draft = article("Printing invoices", "Choose Print.", published=False, author=writer)
    login(orgs=[], roles=["support_agent"])
    assert community_client.get(url_of(draft)).status_code == 404


def test_the_index_lists_the_readers_languages_articles(community_client, switch, writer):
    article("Internal tricks", "Only for us.", visibility="internal", author=writer)
    page = main_of(community_client.get("/kb"))
    assert SWITCH in page and "Wissel van organisatie" not in page and "Internal tricks" not in page
    dutch = main_of(community_client.get("/kb", headers={"Accept-Language": "nl"}))
    assert "Wissel van organisatie" in dutch and SWITCH not in dutch


def test_the_search_page_shows_snippets_and_keeps_what_was_typed_escaped(community_client, switch):
    page = main_of(community_client.get("/kb", query_string={"q": "top right"}))
    assert SWITCH in page and "<mark>" in page
    odd = main_of(community_client.get("/kb", query_string={"q": '<script>"x"'}))
    assert "<script>" not in odd and "&lt;script&gt;" in odd


@pytest.mark.parametrize("query", [{"page": "-1"}, {"page": "x"}, {"product": "<b>"}, {"q": "x" * 5000}])
def test_odd_query_strings_are_ignored_not_errors(community_client, switch, query):
    assert community_client.get("/kb", query_string=query).status_code == 200


def test_a_vote_is_counted_once_per_browser(community_client, switch):
    url = url_of(switch)
    first = community_client.post_form(f"{url}/feedback", {"helpful": "yes"}, page=url, follow_redirects=True)
    assert "We are glad the article helped." in main_of(first)
    assert "Thank you for your answer." in main_of(first)
    again = community_client.post_form(f"{url}/feedback", {"helpful": "no"}, page=url, follow_redirects=True)
    assert "You already told us about this article." in main_of(again)
    rows = db.session.scalars(select(ArticleFeedback)).all()
    assert [(row.kind, row.language, row.person_sub) for row in rows] == [(FeedbackKind.HELPFUL, "en", None)]


def test_a_signed_in_readers_vote_records_who(community_client, login, switch):
    user = login(orgs=[])
    url = url_of(switch)
    community_client.post_form(f"{url}/feedback", {"helpful": "no"}, page=url)
    [row] = db.session.scalars(select(ArticleFeedback)).all()
    assert (row.kind, row.person_sub) == (FeedbackKind.NOT_HELPFUL, user.sub)


def test_a_vote_without_an_answer_or_its_token_is_refused(community_client, switch):
    url = url_of(switch)
    assert community_client.post_form(f"{url}/feedback", {}, page=url).status_code == 400
    assert community_client.post(f"{url}/feedback", data={"helpful": "yes"}).status_code == 400


def test_the_header_links_to_the_help_articles(community_client):
    assert 'href="/kb">Help articles</a>' in community_client.get("/").get_data(as_text=True)


def test_agents_see_an_edit_link_and_customers_an_open_a_case_link(community_client, login, switch):
    login(orgs=[PEETERS])
    page = main_of(community_client.get(url_of(switch)))
    assert "Open a case" in page and "Edit this article" not in page
    login(orgs=[], roles=["support_agent"])
    page = main_of(community_client.get(url_of(switch)))
    assert f"/agent/kb/{switch.article_id}/en" in page
