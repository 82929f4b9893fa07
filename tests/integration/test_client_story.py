"""Steps 2 to 4 of the story across both services, as the people in it would do them.

A client administrator adds her organization; an accountant asks to join it; she
approves from the mail and ticks "Support Community" on the screen she lands on;
the accountant then finds the client in the community's "Switch organization".
When she removes the access again, the client is gone from his next page there.
"""
from __future__ import annotations

import uuid

import pytest

from tests.integration.test_single_sign_on import register_and_verify, sign_in_to_panda, wait_for_mail
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
