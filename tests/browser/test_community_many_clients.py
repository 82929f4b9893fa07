"""The community's switchers for an accountant with many clients, with the keyboard alone, and at 375 px.

Mia signs up at Panda and signs in to the community like anyone; her list of 150 client
organizations is then kept in the community as Panda's newest word would be (the list's
source does not matter to the switcher). Nothing here clicks: focus moves with Tab and
the arrow keys, the search runs as she types (the page's script), Enter follows a result.
"""

from __future__ import annotations

import uuid

import pytest

from tests.browser.harness import DESKTOP, PHONE

pytestmark = pytest.mark.browser

TAB_LIMIT = 80
CLIENTS = 150


def tab_to(page, selector: str) -> None:
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement?.matches(selector) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def focused(page, selector: str) -> bool:
    return page.evaluate("selector => document.activeElement?.matches(selector) ?? false", selector)


def client_id(n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"browser-client-{n}"))


@pytest.fixture(scope="module")
def mia(stack, people, mailbox):
    from sqlalchemy import select

    from support_community.auth.access import store
    from support_community.cases.models import Case, Person, Severity, Status
    from support_community.extensions import db

    person = people("Mia Many-Clients", "mia.many@example.be")
    person.register_and_verify(mailbox)
    person.sign_in_to_panda()
    person.sign_in_to_community()
    with stack.community.app_context():
        sub = db.session.scalar(select(Person.sub).where(Person.email == person.email))
        orgs = [
            {
                "id": client_id(n),
                "name": f"Client {n:04d} BV",
                "enterprise_number": f"0300.{n:03d}.{(97 - (3_000_000 + n * 1000) % 97) % 100:03d}",
                "customer_number": str(700000 + n),
                "role": "member",
            }
            for n in range(CLIENTS)
        ]
        # As Panda's newest list would be kept: a later read of an older list does not replace it.
        store(sub, orgs=orgs, roles=[], version=10**12)
        for n in range(30):  # cases with long words, for the lists at a phone's width
            db.session.add(
                Case(
                    number=f"CS-2026-{900000 + n}",
                    organization_id=uuid.UUID(client_id(n)),
                    organization_name=f"Client {n:04d} BV",
                    product_key="accounting",
                    severity=Severity.HIGH,
                    status=Status.WAITING_FOR_CUSTOMER if n % 2 else Status.SOLVED,
                    subject=f"Jaarafsluitingsboekhoudingsaanpassingsverzoek number {n}",
                    opened_by_sub=sub,
                )
            )
        db.session.commit()
    return person


def test_the_menu_search_finds_a_client_and_opens_it_with_the_keyboard(mia):
    page = mia.page
    mia.community("/")
    tab_to(page, "details.user-menu > summary")
    page.keyboard.press("Enter")
    assert page.locator("details.user-menu").get_attribute("open") is not None
    assert page.locator("details.user-menu .org-list a").count() == 0  # 150 clients: no list of the first ten

    tab_to(page, "#menu-org-filter")
    page.keyboard.type("700042")
    results = page.locator("#menu-org-results a")
    results.first.wait_for()
    assert results.count() == 1 and results.first.inner_text() == "Client 0042 BV"
    assert page.locator("details.user-menu [data-org-status]").inner_text() == "1 organization found"

    page.keyboard.press("ArrowDown")
    assert focused(page, "#menu-org-results a")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert mia.path == f"/orgs/{client_id(42)}/"

    # Chosen once: from now on among "used recently" in the menu.
    mia.open_user_menu()
    assert page.locator(f'details.user-menu .org-list a[href="/orgs/{client_id(42)}/"]').count() == 1


def test_the_arrow_keys_move_through_the_results_of_the_switch_page(mia):
    page = mia.page
    mia.community("/switch")
    tab_to(page, "#page-org-filter")
    page.keyboard.type("client 01")
    links = page.locator("#page-org-results li a")
    page.wait_for_function("() => document.querySelectorAll('#page-org-results li a').length === 10")
    assert page.locator("#page-org-results").get_by_text("Show all 50 results").count() == 1

    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == links.nth(0).inner_text()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == links.nth(1).inner_text()
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.textContent") == "Show all 50 results"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowUp")
    assert focused(page, "#page-org-filter")  # back in the field, to type on

    page.keyboard.press("Escape")
    assert page.input_value("#page-org-filter") == ""
    page.keyboard.type("BE 0300.077")
    page.wait_for_function("() => document.querySelectorAll('#page-org-results li a').length === 1")
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert mia.path == f"/orgs/{client_id(77)}/"


def test_without_the_script_the_search_is_a_form_and_the_list_is_paged(mia, stack, chromium):
    context = chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        context.add_cookies(mia.context.cookies())
        page.goto(stack.community_url + "/switch")
        assert page.locator("main section[aria-labelledby=all-heading] table.org-table tbody tr").count() == 50
        assert page.locator("main section[aria-labelledby=recent-heading] tbody tr").count() == 2
        page.fill("#page-org-filter", "700149")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "q=700149" in page.url
        assert page.locator("main section[aria-labelledby=all-heading] td.org-name a").all_inner_texts() == [
            "Client 0149 BV"
        ]
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/switch", "/cases/new", "/cases?status=any", f"/orgs/{client_id(1)}/cases"])
def test_the_lists_fit_a_phone_without_scrolling_sideways(mia, path):
    page = mia.page
    page.set_viewport_size(PHONE)
    try:
        mia.community(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        if "cases" in path and "new" not in path:
            assert page.locator("main table.case-list tbody tr").count() > 0
            status = page.locator("main table.case-list tbody tr").first.locator(".badge").first.bounding_box()
            assert status is not None and status["x"] + status["width"] <= PHONE["width"]  # not off-screen
        header = page.locator("header.site-header").bounding_box()
        assert header is not None and header["height"] < 130, header  # one or two lines
    finally:
        page.set_viewport_size(DESKTOP)
