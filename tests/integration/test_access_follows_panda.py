"""What an administrator decides in Panda is what the community does, on the very next request.

Both services run over real HTTP, with the community's outbox worker and **without
Panda's outbox worker**: everything the community learns here, it learns from the
administrator's own request (Panda pushes the access event before it answers), not
from a retry. People are set up through Panda's services; everything the story is
about is done through the pages, as the people in it would.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests.integration.test_single_sign_on import PASSWORD, sign_in_to_panda
from tests.live import Browser, LiveStack
from tests.support import TEST_INSTANCE

pytestmark = pytest.mark.integration

NAME = "Bakkerij Peeters BV"


@pytest.fixture(scope="module")
def stack(smtp_sink):
    from panda_portal.outbox.services import outbox as panda_outbox

    live = LiveStack(smtp_sink, TEST_INSTANCE, name="access").start()
    for thread in live.threads:
        if getattr(thread, "outbox", None) is panda_outbox:
            thread.stop()  # Panda's outbox worker is down for the whole module
    yield live
    live.stop()


@dataclass
class Client:
    """A client organization in Panda, its administrator An and its accountant Jan."""

    org_id: str
    membership_id: str
    an: str
    jan: str
    jan_sub: str

    @property
    def member_page(self) -> str:
        return f"/orgs/{self.org_id}/members/{self.membership_id}"


def add_client(stack: LiveStack, *, granted: bool) -> Client:
    """An administers the organization; Jan is an active member, with the Support Community access or not."""
    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db
    from panda_portal.organizations.models import CustomerRecord, Role
    from panda_portal.organizations.services import joining, members
    from panda_portal.organizations.services.customer_register import enterprise_number_with_check_digits

    suffix = uuid.uuid4().hex[:6]
    an_email, jan_email = f"an.{suffix}@example.be", f"jan.{suffix}@example.be"
    customer_number = f"9{int(suffix, 16) % 100000:05d}"
    enterprise_number = enterprise_number_with_check_digits(f"0{int(suffix, 16) % 10_000_000:07d}")
    with stack.panda.app_context():
        db.session.add(CustomerRecord(customer_number=customer_number, enterprise_number=enterprise_number, name=NAME))
        an = create_account(an_email, "An Peeters", PASSWORD, "en", verified=True)
        jan = create_account(jan_email, "Jan Janssens", PASSWORD, "en", verified=True)
        db.session.flush()
        organization = joining.create_organization(customer_number, enterprise_number, actor=an).organization
        request = joining.request_to_join(organization, actor=jan)
        membership = joining.approve_request(organization, request.id, actor=an)
        if granted:
            members.update_membership(membership, role=Role.MEMBER, application_keys=["support_community"], actor=an)
        db.session.commit()
        return Client(str(organization.id), str(membership.id), an_email, jan_email, str(jan.id))


def signed_in_to_both(stack: LiveStack, email: str) -> Browser:
    browser = Browser()
    sign_in_to_panda(stack, browser, email)
    browser.get(f"{stack.community_url}/auth/sign-in")
    assert browser.url.startswith(stack.community_url), browser.url
    return browser


def change_access(stack: LiveStack, client: Client, *, tick: bool) -> Browser:
    """An, in Panda, ticks or unticks Jan's Support Community access and confirms."""
    an = Browser()
    sign_in_to_panda(stack, an, client.an)
    an.get(f"{stack.panda_url}{client.member_page}")
    an.submit("/members/", {"role": "member", "applications": "support_community" if tick else None})
    an.submit("/members/")  # the confirmation
    assert an.response.ok and "The changes for Jan Janssens are saved." in an.text, an.text
    return an


def menu_of(page: str) -> str:
    return page.split('<details class="user-menu">', 1)[1].split("</details>", 1)[0]


def open_case(stack: LiveStack, jan: Browser, client: Client, subject: str) -> str:
    jan.get(f"{stack.community_url}/orgs/{client.org_id}/cases/new")
    category = re.search(r'<option value="(\d+)"', jan.text).group(1)
    jan.submit(
        "/cases/new",
        {"product": "accounting", "category": category, "severity": "normal", "subject": subject, "description": "?"},
    )
    assert re.search(r"CS-\d{4}-\d{6}", jan.text), jan.text
    return jan.url


def delivered_access_events(stack: LiveStack, sub: str) -> list[bool]:
    """Whether each access event Panda queued about ``sub`` was delivered."""
    from panda_portal.extensions import db
    from panda_portal.outbox.models import OutboxMessage

    with stack.panda.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "access_event"))
        return [row.sent_at is not None for row in rows if row.payload["sub"] == sub]


def test_unticking_the_access_with_panda_s_workers_stopped_refuses_the_person_s_next_request(stack):
    client = add_client(stack, granted=True)
    jan = signed_in_to_both(stack, client.jan)
    case_url = open_case(stack, jan, client, "Btw-aangifte weigert te verzenden")
    org_cases = f"{stack.community_url}/orgs/{client.org_id}/cases"
    assert jan.get(org_cases).status_code == 200

    change_access(stack, client, tick=False)

    # Panda's worker never ran: the administrator's request told the community itself.
    delivered = delivered_access_events(stack, client.jan_sub)
    assert delivered and all(delivered)
    assert jan.get(org_cases).status_code == 404
    assert jan.get(case_url).status_code == 404
    reply = jan.session.post(f"{case_url}/reply", data={"body": "Nog een vraag"}, timeout=20)
    assert reply.status_code in (400, 403, 404) and "Nog een vraag" not in reply.text
    home = jan.get(f"{stack.community_url}/")
    assert "Jan Janssens" in home.text and NAME not in menu_of(home.text)  # still signed in, without the client


def test_a_grant_appears_in_an_already_open_community_session(stack):
    client = add_client(stack, granted=False)
    jan = signed_in_to_both(stack, client.jan)
    assert NAME not in menu_of(jan.get(f"{stack.community_url}/").text)

    change_access(stack, client, tick=True)

    menu = menu_of(jan.get(f"{stack.community_url}/").text)  # the next page, not "Switch organization"
    assert NAME in menu and f"/orgs/{client.org_id}/" in menu
    assert jan.get(f"{stack.community_url}/orgs/{client.org_id}/cases/new").status_code == 200


def test_an_agent_s_reply_after_the_removal_reaches_no_one_who_was_removed(stack):
    client = add_client(stack, granted=True)
    jan = signed_in_to_both(stack, client.jan)
    case_url = open_case(stack, jan, client, "Factuur blijft in concept")
    number = re.search(r"CS-\d{4}-\d{6}", jan.text).group(0)
    stack.wait_for_community_outbox()

    # An removes Jan from the organization in Panda.
    an = Browser()
    sign_in_to_panda(stack, an, client.an)
    an.get(f"{stack.panda_url}{client.member_page}/remove")
    an.submit("/remove")
    assert an.response.ok and "is no longer a member" in an.text, an.text

    # The agent answers afterwards, publicly.
    agent_email = f"sam.{uuid.uuid4().hex[:6]}@vendor.example"
    stack.add_support_agent(agent_email, "Sam Support", PASSWORD)
    sam = signed_in_to_both(stack, agent_email)
    case_id = case_url.rstrip("/").rsplit("/", 1)[1]
    sam.get(f"{stack.community_url}/agent/cases/{case_id}")
    sam.submit("/messages", {"body": "Het volledige antwoord over de factuur, met alle details."})
    assert sam.has_text("Het volledige antwoord over de factuur")

    stack.wait_for_community_outbox()
    about_the_case = [mail for mail in stack.smtp.to(client.jan) if number in mail.subject]
    assert about_the_case == []
    assert not any("Het volledige antwoord" in mail.text for mail in stack.smtp.to(client.jan))
