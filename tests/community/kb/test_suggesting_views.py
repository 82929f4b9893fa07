"""The new-case form offers help articles first; "this answered my question" ends without a case."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from support_community.cases.models import Case
from support_community.extensions import db
from support_community.kb.models import ArticleFeedback, FeedbackKind
from tests.community.factories import PEETERS, category
from tests.community.files import PDF
from tests.community.kb.factories import article

NEW = f"/orgs/{PEETERS['id']}/cases/new"
ANSWERED = f"/orgs/{PEETERS['id']}/kb/answered"
SUGGESTIONS = f"/orgs/{PEETERS['id']}/kb/suggestions"
ADD_CLIENT = "Add your client's organization"


def main_of(response) -> str:
    return response.get_data(as_text=True).split('<main id="main"', 1)[1]


def cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.fixture()
def add_client(writer):
    return article(
        ADD_CLIENT,
        "Sign in to the Panda portal, choose **Add an organization** and enter the customer number and the "
        "enterprise number of your client.",
        author=writer,
    )


def post_new_case(client, **changes):
    data = {
        "product": "portal",
        "category": str(category("portal", "organizations").id),
        "severity": "normal",
        "subject": "How do I add a client organization?",
        "description": "I have the enterprise number of my client but cannot find where to enter it.",
    }
    data.update(changes)
    return client.post_form(NEW, data, page=NEW, content_type="multipart/form-data")


def test_the_first_submit_shows_matching_articles_and_keeps_what_was_typed(
    community_client, customer_login, add_client
):
    response = post_new_case(community_client)
    assert response.status_code == 200
    page = main_of(response)
    assert "This article may answer your question" in page
    assert f'href="/kb/en/{add_client.slug}"' in page
    assert f'value="{add_client.id}"' in page and 'form="kb-answered"' in page
    assert 'value="How do I add a client organization?"' in page
    assert '<input type="hidden" name="suggestions_seen" value="1">' in page
    assert "Continue: open the case" in page
    assert cases() == 0


def test_continuing_opens_the_case(community_client, customer_login, add_client):
    response = post_new_case(community_client, suggestions_seen="1")
    assert response.status_code == 302
    assert cases() == 1


def test_without_a_matching_article_the_first_submit_opens_the_case(community_client, customer_login, add_client):
    response = post_new_case(community_client, subject="VAT return refused", description="Code 17 since Monday.")
    assert response.status_code == 302
    assert cases() == 1


def test_a_case_with_files_is_opened_at_once_as_the_files_could_not_come_back(
    community_client, customer_login, add_client
):
    response = post_new_case(community_client, attachments=(io.BytesIO(PDF), "export.pdf"))
    assert response.status_code == 302
    assert cases() == 1


def test_internal_articles_are_never_offered_to_customers(community_client, customer_login, writer):
    article(ADD_CLIENT, "Enter the customer number and the enterprise number.", visibility="internal", author=writer)
    assert post_new_case(community_client).status_code == 302


def test_this_answered_my_question_counts_a_deflection_and_opens_no_case(community_client, customer_login, add_client):
    response = community_client.post_form(ANSWERED, {"answered": str(add_client.id)}, page=NEW, follow_redirects=True)
    assert response.status_code == 200
    assert "We are glad the article answered your question. No case was opened." in main_of(response)
    [row] = db.session.scalars(select(ArticleFeedback)).all()
    assert (row.kind, row.language, str(row.organization_id), row.person_sub) == (
        FeedbackKind.DEFLECTION,
        "en",
        PEETERS["id"],
        customer_login.sub,
    )
    assert cases() == 0


@pytest.mark.parametrize("answered", ["", "not-a-uuid", "0b7e1c52-8d1f-4f0e-9a57-3a7d2f1e9c10"])
def test_an_answer_without_a_readable_article_is_refused(community_client, customer_login, answered):
    assert community_client.post_form(ANSWERED, {"answered": answered}, page=NEW).status_code == 400


def test_the_suggestions_follow_the_typing_as_a_fragment_for_the_script(community_client, customer_login, add_client):
    response = community_client.get(
        SUGGESTIONS, query_string={"subject": "enterprise number", "description": "where do I enter my client"}
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and ADD_CLIENT.replace("'", "&#39;") in fragment
    assert community_client.get(SUGGESTIONS, query_string={"subject": "printer"}).get_data(as_text=True).strip() == ""


def test_the_new_case_form_has_a_live_region_for_the_suggestions(community_client, customer_login):
    page = main_of(community_client.get(NEW))
    assert f'<div id="kb-suggestions" aria-live="polite" data-url="{SUGGESTIONS}">' in page
    assert '<script src="/static/kb-suggest.js" defer></script>' in page
