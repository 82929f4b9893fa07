"""The agents' editor: write, preview, save drafts, publish per language, history, and the report."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from support_community.extensions import db
from support_community.kb.models import ArticleTranslation, Visibility
from support_community.kb.services import feedback
from tests.community.kb.factories import article, translate

NEW = "/agent/kb/new"


def main_of(response) -> str:
    return response.get_data(as_text=True).split('<main id="main"', 1)[1]


def editor_url(translation, language=None) -> str:
    return f"/agent/kb/{translation.article_id}/{language or translation.language}"


def article_form(**changes) -> dict:
    return {
        "language": "en",
        "title": "Printing invoices",
        "body": "## Steps\n\nChoose **Print** in the invoice menu.",
        "product": "",
        "category": "",
        "visibility": "public",
        "action": "save",
    } | changes


def the_only_translation() -> ArticleTranslation:
    return db.session.scalars(select(ArticleTranslation)).unique().one()


def test_a_preview_shows_the_rendered_text_and_saves_nothing(community_client, agent_login):
    response = community_client.post_form(NEW, article_form(action="preview"), page=NEW)
    assert response.status_code == 200
    page = main_of(response)
    assert "Preview (not saved)" in page and "<h3>Steps</h3>" in page and "<strong>Print</strong>" in page
    assert db.session.scalars(select(ArticleTranslation)).first() is None


def test_an_agent_saves_a_draft_then_publishes_it(community_client, agent_login):
    response = community_client.post_form(NEW, article_form(), page=NEW, follow_redirects=True)
    assert "Your draft is saved as version 1." in main_of(response)
    draft = the_only_translation()
    assert not draft.is_published
    assert community_client.get(f"/kb/en/{draft.slug}").status_code == 404
    url = editor_url(draft)
    response = community_client.post_form(f"{url}/publish", {}, page=url, follow_redirects=True)
    assert "The version in English is published." in main_of(response)
    assert community_client.get(f"/kb/en/{draft.slug}").status_code == 200


def test_save_and_publish_puts_the_text_on_the_site_at_once(community_client, agent_login):
    community_client.post_form(NEW, article_form(action="publish", visibility="internal"), page=NEW)
    translation = the_only_translation()
    assert translation.is_published and translation.article.visibility is Visibility.INTERNAL


def test_the_editor_shows_the_last_draft_and_readers_the_published_text(community_client, agent_login):
    translation = article("Printing invoices", "Choose Print.", author=agent_login)
    url = editor_url(translation)
    form = article_form(body="Choose **Print**, then *Send*.", base_revision="1")
    response = community_client.post_form(url, form, page=url, follow_redirects=True)
    assert "Readers see the published version until you publish them." in main_of(response)
    assert "Choose **Print**, then *Send*." in main_of(community_client.get(url))
    assert "then" not in main_of(community_client.get(f"/kb/en/{translation.slug}"))


def test_a_save_over_a_colleagues_newer_version_is_refused_and_the_text_kept(community_client, agent_login):
    translation = article("Printing invoices", "Choose Print.", author=agent_login)
    url = editor_url(translation)
    community_client.post_form(url, article_form(body="A colleague's text.", base_revision="1"), page=url)
    response = community_client.post_form(url, article_form(body="My own text.", base_revision="1"), page=url)
    assert response.status_code == 409
    page = main_of(response)
    assert "Someone else saved this article in the meantime." in page
    assert "My own text." in page


def test_a_form_without_a_title_shows_the_error_next_to_the_field(community_client, agent_login):
    response = community_client.post_form(NEW, article_form(title=""), page=NEW)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in main_of(response)


def test_a_title_on_two_lines_or_with_hidden_controls_is_refused_next_to_the_field(community_client, agent_login):
    for title in ("Printing\ninvoices", "Printing \u202einvoices"):
        response = community_client.post_form(NEW, article_form(title=title), page=NEW)
        assert response.status_code == 400
        assert "on one line" in main_of(response)


def test_the_editor_links_to_the_missing_translations_and_shows_the_others_to_translate_from(
    community_client, agent_login
):
    translation = article("Printing invoices", "Choose **Print**.", author=agent_login)
    page = main_of(community_client.get(editor_url(translation)))
    assert f'href="{editor_url(translation, "nl")}"' in page and "Write the version in Dutch" in page
    dutch = main_of(community_client.get(editor_url(translation, "nl")))
    assert "New version in Dutch" in dutch
    assert "<strong>Print</strong>" in dutch  # the English text, to translate from


def test_writing_a_missing_translation_adds_it_to_the_same_article(community_client, agent_login):
    translation = article("Printing invoices", "Choose Print.", author=agent_login)
    url = editor_url(translation, "fr")
    form = article_form(title="Imprimer les factures", body="Choisissez Imprimer.", base_revision="0", action="publish")
    response = community_client.post_form(url, form, page=url, follow_redirects=True)
    assert "The version in French is published." in main_of(response)
    assert community_client.get("/kb/fr/imprimer-les-factures").status_code == 200


def test_unpublishing_takes_the_version_off_the_site(community_client, agent_login):
    translation = article(author=agent_login)
    url = editor_url(translation)
    response = community_client.post_form(f"{url}/unpublish", {}, page=url, follow_redirects=True)
    assert "is no longer on the site" in main_of(response)
    assert community_client.get(f"/kb/en/{translation.slug}").status_code == 404


def test_the_history_lists_who_saved_which_version_and_when(community_client, agent_login):
    translation = article("Printing invoices", "Choose Print.", author=agent_login)
    url = editor_url(translation)
    community_client.post_form(url, article_form(body="Second text.", base_revision="1"), page=url)
    page = main_of(community_client.get(f"{url}/history"))
    assert page.count("Sam Support") == 2
    assert "<p>Second text.</p>" in page
    first = main_of(community_client.get(f"{url}/history", query_string={"revision": "1"}))
    assert "<p>Choose Print.</p>" in first
    assert community_client.get(f"{url}/history", query_string={"revision": "9"}).status_code == 404


def test_the_list_shows_each_languages_state(community_client, agent_login):
    english = article("Printing invoices", "Choose Print.", author=agent_login)
    translate(english, "nl", "Facturen afdrukken", "Kies Afdrukken.", published=False)
    page = main_of(community_client.get("/agent/kb"))
    row = re.search(r"<tr>\s*<td><a [^>]*>Printing invoices.*?</tr>", page, re.S).group(0)
    assert "Published" in row and "Draft" in row and "Write it" in row
    assert "Printing invoices" not in main_of(community_client.get("/agent/kb", query_string={"q": "payslips"}))


def test_customers_cannot_open_the_editor(community_client, login):
    login(orgs=[])
    assert community_client.get("/agent/kb").status_code == 403
    assert community_client.post_form(NEW, article_form(), page="/").status_code == 403


def test_the_report_counts_answers_and_votes_per_article_and_language(community_client, agent_login):
    english = article("Printing invoices", "Choose Print.", author=agent_login)
    dutch = translate(english, "nl", "Facturen afdrukken", "Kies Afdrukken.")
    feedback.record_deflection(dutch, organization_id="6a1e0b2c-1111-4c4c-8d8d-000000000001", actor=agent_login)
    feedback.record_deflection(dutch, organization_id="6a1e0b2c-1111-4c4c-8d8d-000000000001", actor=agent_login)
    feedback.record_vote(english, helpful=True, actor=None)
    feedback.record_vote(english, helpful=False, actor=None)
    page = main_of(community_client.get("/agent/kb/report"))
    rows = re.findall(r"<tr>\s*<td><a.*?</tr>", page, re.S)
    assert "Facturen afdrukken" in rows[0] and ">2</td>" in rows[0]
    assert "Printing invoices" in rows[1] and "50 %" in rows[1]
    assert "questions answered without a case" in page
    editor = main_of(community_client.get(editor_url(english)))
    assert "What readers said" in editor and "Answered without a case" in editor


@pytest.mark.parametrize("days", ["30", "all", "7; drop table", ""])
def test_the_report_period_is_chosen_from_a_list(community_client, agent_login, days):
    assert community_client.get("/agent/kb/report", query_string={"days": days}).status_code == 200
