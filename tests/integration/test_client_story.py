"""Steps 2 to 4 of the story across both services, as the people in it would do them.

A client administrator adds her organization; an accountant asks to join it; she
approves from the mail and ticks "Support Community" on the screen she lands on;
the accountant then finds the client in the community's "Switch organization" and
opens a case in its name; an agent replies and adds an internal note; the
accountant sees the reply, not the note, and gets a mail. When she removes the
access again, the client is gone from his next page there.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.integration.test_single_sign_on import PASSWORD, register_and_verify, sign_in_to_panda, wait_for_mail
from tests.live import Browser

pytestmark = pytest.mark.integration

BAKERY = ("100234", "BE 0403.170.701", "Bakkerij Peeters BV")


def test_from_adding_an_organization_to_the_community_listing_the_client_and_back(stack):
    suffix = uuid.uuid4().hex[:6]
    admin_email, accountant_email = f"an.{suffix}@example.be", f"jan.{suffix}@example.be"
    customer_number, enterprise_number, name = BAKERY

    # Step 2, the client: her organization does not exist yet, so she becomes its administrator.
    an = Browser()
    register_and_verify(stack, an, name="An Peeters", email=admin_email, language="nl")
    sign_in_to_panda(stack, an, admin_email)
    an.get(f"{stack.panda_url}/orgs/add")
    an.submit("/orgs/add", {"customer_number": customer_number, "enterprise_number": enterprise_number})
    an.submit("/orgs/add/confirm") if any("/confirm" in f["action"] for f in an.forms()) else None
    assert an.has_text(name) and an.has_text("0403.170.701"), an.text

    # Step 2, the accountant: the organization exists, so a request to join goes to its administrator.
    jan = Browser()
    register_and_verify(stack, jan, name="Jan Janssens", email=accountant_email)
    sign_in_to_panda(stack, jan, accountant_email)
    jan.get(f"{stack.panda_url}/orgs/add")
    jan.submit("/orgs/add", {"customer_number": customer_number, "enterprise_number": "0403170701"})
    request_mail = wait_for_mail(stack.smtp, admin_email, subject_contains="Jan Janssens")

    # Step 3: she approves from the mail and lands on his detail screen, where she ticks the access.
    an.get(next(link for link in request_mail.links() if "/requests/" in link))
    an.submit("/approve")
    assert "/members/" in an.url, an.url
    an.submit("/members/", {"role": "member", "applications": "support_community"})
    an.submit("/members/")  # the confirmation
    assert an.response.ok
    wait_for_mail(stack.smtp, accountant_email, subject_contains=name)

    # Step 4: in the community, "Switch organization" lists the client.
    jan.get(f"{stack.community_url}/auth/sign-in")
    jan.get(f"{stack.community_url}/switch")
    assert jan.has_text(name), jan.text

    # He opens a case in the client's name.
    org_path = re.search(r'href="(/orgs/[0-9a-f-]{36})/"', jan.text).group(1)
    jan.get(f"{stack.community_url}{org_path}/cases/new")
    category = re.search(r'<option value="(\d+)"', jan.text).group(1)
    jan.submit(
        "/cases/new",
        {
            "product": "accounting",
            "category": category,
            "severity": "high",
            "subject": "Btw-aangifte weigert te verzenden",
            "description": "De aangifte blijft hangen op 'verzenden'.",
        },
    )
    assert jan.has_text("Jan Janssens") and jan.has_text(name), jan.text
    case_url = jan.url
    assert re.search(r"CS-\d{4}-\d{6}", jan.text), jan.text

    # An agent answers, and writes an internal note the customer must never see.
    agent_email = f"sam.{suffix}@vendor.example"
    stack.add_support_agent(agent_email, "Sam Support", PASSWORD)
    sam = Browser()
    sign_in_to_panda(stack, sam, agent_email)
    sam.get(f"{stack.community_url}/auth/sign-in")
    sam.get(f"{stack.community_url}/agent?assignee=unassigned")
    agent_case = re.search(r'href="(/agent/cases/[0-9a-f-]{36})"', sam.text).group(1)
    sam.get(f"{stack.community_url}{agent_case}")
    sam.submit("/messages", {"body": "We bekijken het; kan u de foutmelding sturen?"})
    sam.submit("/messages", {"body": "Known bug in the VAT module, ticket DEV-42.", "internal": "y"})
    assert sam.has_text("DEV-42")

    jan.get(case_url)
    assert jan.has_text("kan u de foutmelding sturen?") and not jan.has_text("DEV-42"), jan.text
    stack.wait_for_community_outbox()
    reply_mail = wait_for_mail(stack.smtp, accountant_email, subject_contains="CS-")
    assert "kan u de foutmelding sturen?" in reply_mail.text and "DEV-42" not in reply_mail.text + reply_mail.html

    # The access is removed: his very next page in the community no longer shows the client.
    member_page = an.url.split("#")[0]
    an.get(member_page)
    an.submit("/members/", {"role": "member", "applications": None})
    an.submit("/members/")
    assert an.response.ok and "confirmed" not in str(an.forms()), an.text
    stack.wait_for_panda_outbox()
    jan.get(f"{stack.community_url}/")
    assert jan.url.startswith(stack.community_url)
    assert jan.has_text("Jan Janssens") and not jan.has_text(name), jan.text
    jan.get(case_url)
    assert jan.response.status_code == 404
