"""Panda for an accountant with many clients: the switcher with the keyboard alone, a bulk add, 375 px.

Olga signs up like anyone; she is then a member of 150 client organizations (written
directly, as an accountant's years of work would have left them). Nothing in the switcher
test clicks: focus moves with Tab and the arrow keys, the list follows the search box as
she types (the page's script file), Enter opens the organization.
"""

from __future__ import annotations

import uuid

import pytest

from tests.browser.harness import DESKTOP, PASSWORD, PHONE, serious_violations

pytestmark = pytest.mark.browser

TAB_LIMIT = 80
CLIENTS = 150


def tab_to(page, selector: str) -> None:
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement?.matches(selector) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def focused_text(page) -> str:
    return page.evaluate("document.activeElement?.textContent?.trim() ?? ''")


def enterprise_number(n: int) -> str:
    stem = f"0{4_000_000 + n * 13:07d}"
    return f"{stem}{97 - int(stem) % 97:02d}"


@pytest.fixture(scope="module")
def olga(stack, people, mailbox):
    from panda_portal.accounts.models import Account
    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.organizations.models import (
        ApplicationGrant,
        CustomerRecord,
        Membership,
        MembershipStatus,
        Organization,
        Role,
    )
    from shared.database import utcnow

    person = people("Olga Office", "olga.office@example.be")
    person.register_and_verify(mailbox)
    person.sign_in_to_panda()
    with stack.panda.app_context():
        ensure_applications()
        olga_account = db.session.query(Account).filter_by(email=person.email).one()
        other = create_account("ann.admin@example.be", "Ann Admin", PASSWORD, "nl", verified=True)
        now = utcnow()
        for n in range(CLIENTS + 6):
            number = str(800000 + n)
            db.session.add(
                CustomerRecord(customer_number=number, enterprise_number=enterprise_number(n), name=f"Klant {n:04d} BV")
            )
        db.session.flush()
        for n in range(CLIENTS + 2):
            org = Organization(
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"panda-browser-client-{n}"),
                customer_number=str(800000 + n),
                enterprise_number=enterprise_number(n),
                name=f"Klant {n:04d} BV",
            )
            db.session.add(org)
            db.session.flush()
            if n < CLIENTS:  # Olga is a member of the first 150
                db.session.add(
                    Membership(
                        organization_id=org.id,
                        account_id=olga_account.id,
                        role=Role.MEMBER,
                        status=MembershipStatus.ACTIVE,
                        active_since=now,
                    )
                )
            membership = Membership(
                organization_id=org.id,
                account_id=other.id,
                role=Role.ADMIN,
                status=MembershipStatus.ACTIVE,
                active_since=now,
            )
            membership.grants = [ApplicationGrant(application_key="support_community")]
            db.session.add(membership)
        db.session.commit()
    return person


def org_id(n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"panda-browser-client-{n}"))


def test_the_switcher_finds_a_client_by_enterprise_number_and_opens_it_with_the_keyboard(olga):
    page = olga.page
    olga.panda("/orgs/switch")
    tab_to(page, "#switcher-query")
    digits = enterprise_number(42)
    page.keyboard.type(f"BE{digits}")
    page.wait_for_function("() => document.querySelectorAll('#switcher-matches a').length === 1")
    assert page.locator("#switcher-status").inner_text().startswith("1 organization matches")
    assert page.locator("#switcher-start").is_hidden()
    page.keyboard.press("ArrowDown")
    assert focused_text(page) == "Klant 0042 BV"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert olga.path == f"/orgs/{org_id(42)}/"


def test_the_arrow_keys_move_through_the_results_and_back_to_the_box(olga):
    page = olga.page
    olga.panda("/orgs/switch")
    tab_to(page, "#switcher-query")
    page.keyboard.type("klant 01")
    page.wait_for_function("() => document.getElementById('switcher-status').textContent.startsWith('50 ')")
    assert page.locator("#switcher-matches a").count() == 20  # a page, never all of them
    page.keyboard.press("ArrowDown")
    assert focused_text(page) == "Klant 0100 BV"
    page.keyboard.press("ArrowDown")
    assert focused_text(page) == "Klant 0101 BV"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "switcher-query"
    # A part of the enterprise number without its dots, as read off an invoice.
    page.fill("#switcher-query", "")
    page.keyboard.type(enterprise_number(7)[1:])
    page.wait_for_function("() => document.querySelectorAll('#switcher-matches a').length === 1")
    page.keyboard.press("Escape")


def test_a_favourite_pinned_with_the_keyboard_stays_on_top(olga):
    page = olga.page
    olga.panda("/orgs/switch?q=Klant+0099")
    tab_to(page, f'#switcher-matches button[data-favourite="{org_id(99)}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    olga.panda("/orgs/switch")
    assert page.locator("#switcher-favourites a").all_inner_texts() == ["Klant 0099 BV"]
    olga.open_user_menu()
    assert page.locator(f'details.user-menu a[href="/orgs/{org_id(99)}/"]').count() >= 1


def test_without_the_script_the_switcher_is_a_search_form(olga, stack, chromium):
    context = chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        context.add_cookies(olga.context.cookies())
        page.goto(stack.panda_url + "/orgs/switch")
        page.fill("#switcher-query", "800123")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "q=800123" in page.url
        assert page.locator("#switcher-matches a").all_inner_texts() == ["Klant 0123 BV"]
    finally:
        context.close()


def test_a_bulk_add_with_a_mix_of_outcomes_runs_in_the_background_and_can_be_downloaded(olga, stack):
    page = olga.page
    olga.panda("/orgs/add")
    olga.follow('main a[href="/orgs/add/bulk"]')
    wrong_digits = enterprise_number(153)[:-2] + f"{(int(enterprise_number(153)[-2:]) + 1) % 100:02d}"
    lines = [
        "customer_number,enterprise_number",
        f"800152,{enterprise_number(152)}",  # new: she becomes administrator
        f"800153,BE{enterprise_number(153)}",  # new
        f"800151,{enterprise_number(151)}",  # in Panda: a request to join
        f"800005,{enterprise_number(5)}",  # already a member
        f"800154,{wrong_digits}",  # check digits
        f"999999,{enterprise_number(155)}",  # not a pair of the register
        f"800152,{enterprise_number(152)}",  # duplicate
    ]
    page.fill("#rows", "\n".join(lines))
    olga.submit("main form[action='/orgs/add/bulk']")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 7
    for outcome, count in {"new": 2, "join": 1, "member": 1, "not_in_register": 2, "duplicate": 1}.items():
        assert page.locator(f"main tr.outcome-{outcome}").count() == count, outcome

    olga.submit("main form[action$='/confirm']")
    # The page refreshes itself until the worker is done.
    page.wait_for_selector("main a[href$='/result.csv']", timeout=30_000)
    for outcome, count in {"created": 2, "requested": 1, "member": 1, "not_in_register": 2, "duplicate": 1}.items():
        assert page.locator(f"main tr.outcome-{outcome}").count() == count, outcome
    href = page.locator("main a[href$='/result.csv']").get_attribute("href")
    csv_text = page.request.get(stack.panda_url + href).text()
    assert "Added: you are administrator" in csv_text and "Request to join sent" in csv_text

    # Ann, who administers the organization asked to join, gets one mail listing the request.
    stack.wait_for_panda_outbox()
    about_the_list = [mail for mail in stack.smtp.to("ann.admin@example.be") if "Olga Office" in mail.subject]
    assert len(about_the_list) == 1 and "Klant 0151 BV" in about_the_list[0].text


@pytest.mark.parametrize("path", ["/orgs", "/orgs/switch", "/requests", "members"])
def test_the_organization_and_member_tables_fit_a_phone(olga, path):
    page = olga.page
    if path == "members":
        olga.panda("/orgs?role=admin")
        first = page.locator("main table tbody tr a").first.get_attribute("href")
        path = first + "members"
    page.set_viewport_size(PHONE)
    try:
        olga.panda(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        header = page.locator("header.site-header").bounding_box()
        assert header is not None and header["height"] < 130, header
        cells = page.locator("main table tbody tr").first.locator("td")
        for index in range(cells.count()):
            box = cells.nth(index).bounding_box()
            assert box is None or box["x"] + box["width"] <= PHONE["width"] + 1
    finally:
        page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("path", ["/orgs/switch", "/orgs/switch?q=klant", "/orgs", "/orgs/add/bulk", "/requests"])
def test_the_new_pages_have_no_serious_accessibility_findings(olga, axe_source, path):
    olga.panda(path)
    assert serious_violations(olga.page, axe_source) == []
