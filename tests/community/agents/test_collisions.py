"""Two agents on one case: the page says who else is there or writing, and a reply that crossed a new message waits."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from shared.database import utcnow
from support_community.cases.models import CaseMessage, MessageKind
from support_community.cases.services import collisions
from support_community.extensions import db
from tests.community.factories import make_agent, make_case, make_person


def opened_at(page: str) -> str:
    return re.search(r'name="opened_at" value="([^"]+)"', page).group(1)


def test_the_case_page_names_the_colleague_who_looked_at_it_or_is_replying(community_client, agent):
    case = make_case(make_person())
    eva, tom = make_agent(name="Eva Claes"), make_agent(name="Tom Maes")
    collisions.replying(case, actor=eva)
    collisions.seen(case, actor=tom)
    old = make_agent(name="Old Visit")
    collisions.seen(case, actor=old, now=utcnow() - dt.timedelta(minutes=30))

    page = community_client.get(f"/agent/cases/{case.id}").get_data(as_text=True)
    notice = re.search(r'<p id="colleagues"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "Eva Claes is writing a reply." in notice
    assert "Tom Maes" in notice and "Old Visit" not in notice and "Sam Support" not in notice


def test_viewing_the_page_tells_the_others(community_client, agent):
    case = make_case(make_person())
    community_client.get(f"/agent/cases/{case.id}")
    eva = make_agent(name="Eva Claes")
    assert [c.name for c in collisions.others(case, actor=eva)] == ["Sam Support"]


def test_the_page_script_reports_writing_and_hears_about_the_others(community_client, agent):
    case = make_case(make_person())
    eva = make_agent(name="Eva Claes")
    collisions.seen(case, actor=eva)
    response = community_client.post_form(
        f"/agent/cases/{case.id}/presence", data={"state": "replying"}, page=f"/agent/cases/{case.id}"
    )
    assert response.status_code == 200
    assert response.json["others"] == [{"name": "Eva Claes", "replying": False}]
    assert [c.replying for c in collisions.others(case, actor=eva)] == [True]


def test_a_reply_crossing_a_new_customer_message_is_shown_again_not_sent(community_client, agent, mail_sink):
    case = make_case(make_person(name="Jan Peeters"))
    page = community_client.get(f"/agent/cases/{case.id}").get_data(as_text=True)
    stamp = opened_at(page)
    # Meanwhile the customer writes.
    db.session.add(
        CaseMessage(
            case_id=case.id,
            author_sub=case.opened_by_sub,
            kind=MessageKind.REPLY,
            body="Never mind, I found the error myself.",
            by_agent=False,
            created_at=utcnow(),
        )
    )
    db.session.flush()

    response = community_client.post_form(
        f"/agent/cases/{case.id}/messages", data={"body": "Please send the export.", "opened_at": stamp}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "A new message arrived while you were writing: your reply was not sent." in page
    assert "Never mind, I found the error myself." in page
    assert "Please send the export." in page  # the reply is kept
    assert 'name="send_anyway" value="1"' in page
    agent_messages = db.session.scalars(
        select(CaseMessage).where(CaseMessage.case_id == case.id, CaseMessage.by_agent.is_(True))
    ).all()
    assert agent_messages == []

    response = community_client.post_form(
        f"/agent/cases/{case.id}/messages",
        data={"body": "Please send the export.", "opened_at": stamp, "send_anyway": "1"},
    )
    assert response.status_code == 302
    assert db.session.scalars(select(CaseMessage.body).where(CaseMessage.by_agent.is_(True))).all() == [
        "Please send the export."
    ]


def test_my_own_note_since_the_page_opened_is_no_collision(community_client, agent):
    case = make_case(make_person())
    stamp = opened_at(community_client.get(f"/agent/cases/{case.id}").get_data(as_text=True))
    assert (
        community_client.post_form(
            f"/agent/cases/{case.id}/notes", data={"note-body": "Checked the ledger."}
        ).status_code
        == 302
    )
    response = community_client.post_form(
        f"/agent/cases/{case.id}/messages", data={"body": "All good now.", "opened_at": stamp}
    )
    assert response.status_code == 302
