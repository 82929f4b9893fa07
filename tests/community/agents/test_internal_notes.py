"""Internal notes stay with the agents: not on the customer's case page, not in their search, files or mails."""

from __future__ import annotations

import io

from sqlalchemy import select

from support_community.cases.models import Attachment
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.auth.fake_op import org
from tests.community.factories import make_case, make_person
from tests.community.files import PDF


def test_the_customer_sees_the_reply_and_never_the_internal_note(
    community, community_client, login, fake_panda, mail_sink
):
    peeters = org("Bakkerij Peeters BV")
    ann = login(name="Ann Accountant", email="ann@example.test", orgs=[peeters])
    customer = make_person(ann.sub, name=ann.name, email=ann.email)
    case = make_case(customer, organization_id=peeters["id"], organization_name=peeters["name"])
    login(name="Sam Support", email="sam@vendor.test", roles=["support_agent"])  # the agent, in the same browser
    agent_page = f"/agent/cases/{case.id}"

    community_client.post_form(f"{agent_page}/messages", {"body": "Publicly: please update to 12.3."}, page=agent_page)
    community_client.post(
        f"{agent_page}/messages",
        data={
            "csrf_token": community_client.csrf_token(agent_page),
            "internal": "y",
            "body": "Zanzibar: the customer runs a pirated copy.",
            "attachments": (io.BytesIO(PDF), "licence.pdf"),
        },
        content_type="multipart/form-data",
    )
    community_client.post_form(
        f"{agent_page}/status",
        {"status": "waiting_for_customer", "comment_internal": "y", "comment": "Quokka: chase them on Friday."},
        page=agent_page,
    )
    assert "Zanzibar" in community_client.get(agent_page).get_data(as_text=True)
    outbox.deliver_due(community)

    login(fake_panda.users[ann.sub])
    case_page = f"/orgs/{peeters['id']}/cases/{case.id}"
    page = community_client.get(case_page).get_data(as_text=True)

    assert "Publicly: please update to 12.3." in page
    assert "Zanzibar" not in page and "Quokka" not in page and "licence.pdf" not in page
    assert "Internal note" not in page
    note_file = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).one()
    assert community_client.get(f"{case_page}/attachments/{note_file.id}").status_code == 404

    # Nor does a search of the customer's lists find the case by the note's words.
    cases = f"/orgs/{peeters['id']}/cases"
    assert case.number in community_client.get(cases, query_string={"q": "update"}).get_data(as_text=True)
    assert case.number not in community_client.get(cases, query_string={"q": "Zanzibar"}).get_data(as_text=True)
    assert case.number not in community_client.get(cases, query_string={"q": "Quokka"}).get_data(as_text=True)

    # And the mails Ann got say nothing of it.
    mails = mail_sink.to("ann@example.test")
    assert len(mails) == 2  # the reply, the status change
    for mail in mails:
        everything = mail.subject + mail.text + mail.html
        assert "Zanzibar" not in everything and "Quokka" not in everything and "licence.pdf" not in everything
    assert "sam@vendor.test" not in [m.to for m in mail_sink.messages]  # nobody hears of what they did
