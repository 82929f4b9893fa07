"""How did we do? in one click: the good/bad links of the "case solved" mail, in a real browser.

Jan's case is solved; the mail reaches the SMTP sink. Following a link from it records the
rating without any further click (the page's script sends its form), then shows the thank-you
page where a comment can be added. With JavaScript switched off the page keeps its button and
records nothing until it is pressed, as a mail scanner that fetches the link records nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.browser.harness import BrowserStack, Crowd, Mailbox, serious_violations
from tests.browser.site import add_case
from tests.support import TEST_INSTANCE

pytestmark = pytest.mark.browser

ORG = "6a1e0b2c-3333-4c4c-8d8d-000000000001"


def _solve_a_case(live: BrowserStack, email: str) -> str:
    """A case of Jan's bakery, solved by an agent now: the mail with the rating links goes out."""
    from shared.database import utcnow
    from support_community.auth.models import PersonAccess, PersonOrganization
    from support_community.cases.models import Person, Status
    from support_community.cases.services import statuses
    from support_community.extensions import db

    with live.community.test_request_context():
        sub = f"jan-{uuid.uuid4().hex[:8]}"
        customer = Person(sub=sub, name="Jan Peeters", email=email, locale="en")
        agent = Person(sub=f"agent-{sub}", name="Sam Support", email=f"sam-{sub}@vendor.example", is_agent=True)
        db.session.add_all([customer, agent, PersonAccess(sub=sub, roles=[], orgs_version=None)])
        db.session.flush()
        db.session.add(
            PersonOrganization(sub=sub, organization_id=uuid.UUID(ORG), name="Bakkerij Peeters BV", role="member")
        )
        opened = utcnow() - dt.timedelta(days=1)
        case = add_case(
            customer,
            org_id=ORG,
            subject="The VAT return does not balance",
            opened=opened,
            status=Status.IN_PROGRESS,
            description="Box 54.",
        )
        statuses.change_status(case, Status.SOLVED, actor=agent, by_agent=True)
        db.session.commit()
        return str(case.id)


def _rating(live: BrowserStack, case_id: str) -> tuple[str, str] | None:
    from support_community.cases.workspace_models import CaseRating
    from support_community.extensions import db

    with live.community.app_context():
        rating = db.session.get(CaseRating, uuid.UUID(case_id))
        return (rating.rating, rating.comment) if rating else None


@pytest.fixture(scope="module")
def rating_stack(chromium, smtp_sink):
    live = BrowserStack(smtp_sink, TEST_INSTANCE, name="rating").start()
    crowd = Crowd(chromium, live)
    try:
        yield live, crowd, Mailbox(smtp_sink)
    finally:
        crowd.close()
        live.stop()


def test_following_the_link_in_the_mail_rates_without_another_click(rating_stack, axe_source):
    live, crowd, mailbox = rating_stack
    case_id = _solve_a_case(live, "jan.one-click@bakkerij.example")
    link = mailbox.link("jan.one-click@bakkerij.example", "rating=good")
    jan = crowd("Jan Peeters", "jan.one-click@bakkerij.example")
    page = jan.page

    with page.expect_navigation(url=lambda url: "rating=" not in url):  # the form sends itself
        page.goto(link)
    page.wait_for_load_state()
    assert _rating(live, case_id) == ("good", "")
    assert "Thank you for your rating." in page.locator("main [role=status]").inner_text()
    assert page.locator("input[name=rating][value=good]").is_checked()
    assert serious_violations(page, axe_source) == []

    # The optional comment, on the thank-you page.
    page.fill("#comment", "Quick and clear, thank you.")
    jan.submit("main form:has(#comment)")
    assert "Your rating is saved." in page.locator("main").inner_text()
    assert _rating(live, case_id) == ("good", "Quick and clear, thank you.")

    # Back through the history: the link's answer is not sent again over the one given on the thank-you page.
    page.locator("input[name=rating][value=bad]").check()
    jan.submit("main form:has(#comment)")
    assert _rating(live, case_id) == ("bad", "Quick and clear, thank you.")
    for _ in range(5):
        if page.go_back() is None:
            break
        page.wait_for_load_state()
    page.wait_for_timeout(500)  # (were the script to send the form, it would have by now)
    assert _rating(live, case_id) == ("bad", "Quick and clear, thank you.")


def test_without_javascript_the_page_waits_for_its_button(rating_stack, axe_source):
    live, crowd, mailbox = rating_stack
    case_id = _solve_a_case(live, "jan.no-script@bakkerij.example")
    link = mailbox.link("jan.no-script@bakkerij.example", "rating=bad")
    context = crowd.chromium.new_context(java_script_enabled=False, locale="en-GB")
    crowd.contexts.append(context)
    page = context.new_page()

    page.goto(link)
    page.wait_for_timeout(300)
    assert _rating(live, case_id) is None  # opened, not sent
    button = page.locator("main form[data-rating-one-click] button[type=submit]")
    assert button.is_visible() and button.inner_text() == "Send my rating"
    assert "Your answer: Bad, I am not satisfied." in page.locator("main").inner_text()

    with page.expect_navigation():
        button.click()
    assert _rating(live, case_id) == ("bad", "")
    assert "We are sorry" in page.locator("main [role=status]").inner_text()
    assert page.locator("#comment").is_visible()
