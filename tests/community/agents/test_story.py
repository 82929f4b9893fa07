"""The agent's half of the story, through the pages: a client's case comes in, an agent works it."""

from __future__ import annotations

from sqlalchemy import select

from support_community.cases.models import Case, Status
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.auth.fake_op import org
from tests.community.factories import make_product

TEAM = "support-team@community.localhost"


def test_an_accountants_case_is_worked_by_an_agent_and_the_note_stays_internal(
    community, community_client, login, fake_panda, mail_sink
):
    make_product("accounting", "Accounting")
    peeters = org("Bakkerij Peeters BV")
    cases = f"/orgs/{peeters['id']}/cases"

    # Jan, the accountant, opens a case in his client's name.
    jan = login(name="Jan Janssens", email="jan@example.test", orgs=[peeters], locale="nl")
    response = community_client.post_form(
        f"{cases}/new",
        {
            "product": "accounting",
            "severity": "high",
            "subject": "Btw-aangifte klopt niet",
            "description": "Vak 54 en vak 59 verschillen.",
        },
        page=f"{cases}/new",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalars(select(Case)).one()
    case_page = f"{cases}/{case.id}"
    outbox.deliver_due(community)
    new_case_mail = mail_sink.last_to(TEAM)  # nobody is assigned yet: the team hears of it
    assert "Bakkerij Peeters BV" in new_case_mail.subject

    # Sam, an agent, finds it among the unassigned cases, takes it, replies, notes, asks a question.
    login(name="Sam Support", email="sam@vendor.test", roles=["support_agent"])
    queue = community_client.get("/agent", query_string={"assignee": "unassigned"}).get_data(as_text=True)
    assert case.number in queue and "Bakkerij Peeters BV" in queue
    agent_page = community_client.get(new_case_mail.link_path("/agent/cases/"))
    assert agent_page.status_code == 200 and "Vak 54 en vak 59 verschillen." in agent_page.get_data(as_text=True)
    here = f"/agent/cases/{case.id}"
    sam_sub = fake_panda.signed_in
    community_client.post_form(f"{here}/assignee", {"assignee": sam_sub}, page=here)
    community_client.post_form(f"{here}/messages", {"internal": "y", "body": "Klant draait nog versie 11."}, page=here)
    community_client.post_form(
        f"{here}/status", {"status": "waiting_for_customer", "comment": "Welke versie gebruikt u?"}, page=here
    )
    mine = community_client.get("/agent", query_string={"view": "mine"}).get_data(as_text=True)
    assert case.number in mine
    outbox.deliver_due(community)

    # Jan got one mail, in Dutch, with the question and not the note; the page shows the same.
    [mail] = mail_sink.to("jan@example.test")
    assert '<html lang="nl">' in mail.html
    assert "Welke versie gebruikt u?" in mail.text and "versie 11" not in mail.text + mail.html
    login(fake_panda.users[jan.sub])
    page = community_client.get(mail.link_path(f"/cases/{case.id}")).get_data(as_text=True)
    assert "Welke versie gebruikt u?" in page and "versie 11" not in page

    # Jan answers: the case is back in progress and Sam, its assignee, hears of it.
    community_client.post_form(f"{case_page}/reply", {"body": "Versie 12.2."}, page=case_page)
    db.session.refresh(case)
    assert case.status == Status.IN_PROGRESS
    outbox.deliver_due(community)
    assert "Versie 12.2." in mail_sink.last_to("sam@vendor.test").text
    assert len(mail_sink.to(TEAM)) == 1  # assigned now: the team is not bothered again
