"""Canned replies: the team's library in three languages, placeholders, inserting one with and without JavaScript."""

from __future__ import annotations

import html
import re

from support_community.cases.models import Status
from support_community.cases.services import canned
from support_community.cases.workspace_models import CannedReply
from support_community.extensions import db
from tests.community.factories import make_case, make_person


def form_values(page: str) -> dict[str, str]:
    return {
        "body": html.unescape(re.search(r'<textarea[^>]*id="body"[^>]*>(.*?)</textarea>', page, re.S).group(1)).strip(),
        "status": (
            re.search(r'<select[^>]*id="new_status".*?<option selected value="([^"]*)"', page, re.S)
            or re.search(r'<select[^>]*id="new_status".*?<option value="([^"]*)" selected', page, re.S)
        ).group(1),
    }


def make_reply(agent, **bodies) -> CannedReply:
    return canned.create(
        actor=agent,
        title=bodies.pop("title", "Ask for the export"),
        bodies={"en": bodies.get("en"), "nl": bodies.get("nl"), "fr": bodies.get("fr")},
        set_status=bodies.get("status"),
    )


def test_an_agent_writes_a_canned_reply_the_whole_team_then_sees(community_client, agent):
    page = community_client.get("/agent/canned/new").get_data(as_text=True)
    assert 'for="body_nl"' in page and "{first_name}" in page

    response = community_client.post_form(
        "/agent/canned/new",
        data={
            "title": "Ask for the VAT export",
            "body_en": "Hello {first_name}, could you send the export of {case_number}?",
            "body_nl": "Dag {first_name}, kunt u de export van {case_number} bezorgen?",
            "body_fr": "",
            "set_status": "waiting_for_customer",
        },
    )
    assert response.status_code == 302
    reply = db.session.query(CannedReply).one()
    assert reply.languages == ["en", "nl"] and reply.set_status == "waiting_for_customer"
    assert reply.created_by_sub == agent.sub

    listing = community_client.get("/agent/canned").get_data(as_text=True)
    assert "Ask for the VAT export" in listing


def test_a_reply_without_text_or_with_an_unknown_placeholder_is_refused_on_its_field(community_client, agent):
    response = community_client.post_form("/agent/canned/new", data={"title": "Empty", "body_en": " "})
    assert response.status_code == 400
    assert "Write the reply in at least one language." in response.get_data(as_text=True)

    response = community_client.post_form("/agent/canned/new", data={"title": "Typo", "body_en": "Dear {firstname}"})
    assert response.status_code == 400
    assert "Unknown placeholder {firstname}" in response.get_data(as_text=True)
    assert db.session.query(CannedReply).count() == 0


def test_editing_and_deleting_a_canned_reply(community_client, agent):
    reply = make_reply(agent, en="Old text")
    response = community_client.post_form(
        f"/agent/canned/{reply.id}", data={"title": "New title", "body_en": "New text", "set_status": ""}
    )
    assert response.status_code == 302
    db.session.refresh(reply)
    assert (reply.title, reply.body_en, reply.set_status) == ("New title", "New text", None)

    reply_id = reply.id
    assert community_client.post_form(f"/agent/canned/{reply_id}/delete").status_code == 302
    assert db.session.query(CannedReply).count() == 0
    assert community_client.get(f"/agent/canned/{reply_id}").status_code == 404


def test_inserting_without_javascript_writes_the_customers_language_and_chooses_the_status(community_client, agent):
    customer = make_person(name="Jan Peeters", locale="nl")
    case = make_case(customer, status=Status.IN_PROGRESS, organization_name="Bakkerij Peeters BV")
    reply = make_reply(
        agent,
        en="Hello {first_name}, about {case_number}: {agent_name}",
        nl="Dag {first_name}, over {case_number} ({organization}): {agent_name}",
        status="waiting_for_customer",
    )

    response = community_client.post_form(
        f"/agent/cases/{case.id}/canned", data={"body": "I looked at it.", "canned": str(reply.id)}
    )
    assert response.status_code == 200
    values = form_values(response.get_data(as_text=True))
    assert values["body"] == (f"I looked at it.\n\nDag Jan, over {case.number} (Bakkerij Peeters BV): Sam Support")
    assert values["status"] == "waiting_for_customer"


def test_a_missing_language_falls_back_to_english(community, agent):
    case = make_case(make_person(name="Marie Dubois", locale="fr"))
    reply = make_reply(agent, en="Hello {first_name}", nl="Dag {first_name}")
    inserted = canned.render(reply, case, actor=agent)
    assert (inserted.body, inserted.language) == ("Hello Marie", "en")


def test_the_case_page_offers_each_reply_ready_for_the_script(community_client, agent):
    case = make_case(make_person(name="Marie Dubois", locale="fr"))
    make_reply(agent, title="Merci", fr="Bonjour {first_name}", status="solved")
    page = community_client.get(f"/agent/cases/{case.id}").get_data(as_text=True)
    assert 'data-body="Bonjour Marie"' in page and 'data-status="solved"' in page
    assert "canned-insert.js" in page


def test_inserting_nothing_says_what_to_do(community_client, agent):
    case = make_case(make_person())
    response = community_client.post_form(f"/agent/cases/{case.id}/canned", data={"body": "Draft", "canned": "nope"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose a canned reply first." in page and "Draft" in page


def test_a_customer_cannot_reach_the_library(community_client, login):
    from tests.community.auth.fake_op import org

    login(orgs=[org("Bakkerij Peeters BV")])
    assert community_client.get("/agent/canned").status_code == 403
