"""The pages at a phone's width (375 px) and at a desktop's: nothing scrolls sideways, the menu fits.

Wide tables scroll inside their own box; the page itself never does. The phone
is checked in English and in French, whose words are longer, and axe-core checks
the narrow pages too.
"""

from __future__ import annotations

import pytest

from tests.browser.harness import DESKTOP, PHONE, serious_violations

pytestmark = pytest.mark.browser

MAIN_PAGES = [
    ("visitor", "panda", "/sign-in"),
    ("visitor", "panda", "/register"),
    ("jan", "panda", "/"),
    ("jan", "panda", "/orgs"),
    ("jan", "panda", "/orgs/add"),
    ("an", "panda", "/orgs/{bakery}/"),
    ("an", "panda", "/orgs/{bakery}/members"),
    ("an", "panda", "/orgs/{bakery}/members/{jan_in_bakery}"),
    ("an", "panda", "/orgs/{bakery}/requests/{pending_request}"),
    ("an", "panda", "/orgs/{bakery}/invitations/new"),
    ("an", "panda", "/orgs/{bakery}/audit"),
    ("jan", "panda", "/account"),
    ("jan", "panda", "/account/activity"),
    ("jan", "panda", "/account/tokens"),
    ("jan", "panda", "/account/sessions"),
    ("jan", "panda", "/account/email"),
    ("jan", "panda", "/account/data"),
    ("jan", "panda", "/account/delete"),
    ("an", "panda", "/orgs/{bakery}/settings"),
    ("an", "panda", "/orgs/{bakery}/settings/personal-tokens"),
    ("an", "panda", "/orgs/{bakery}/webhooks"),
    ("an", "panda", "/orgs/{bakery}/webhooks/new"),
    ("visitor", "community", "/"),
    ("jan", "community", "/"),
    ("jan", "community", "/switch"),
    ("jan", "community", "/orgs/{bakery}/"),
    ("jan", "community", "/orgs/{bakery}/cases"),
    ("jan", "community", "/orgs/{bakery}/cases/new"),
    ("jan", "community", "/orgs/{bakery}/cases/{case}"),
    ("jan", "community", "/cases"),
    ("sam", "community", "/agent?status=all&assignee=any"),
    ("sam", "community", "/agent/cases/{case}"),
    ("sam", "community", "/agent/canned"),
    ("sam", "community", "/agent/canned/new"),
    ("sam", "community", "/agent/reports"),
    ("sam", "community", "/webhooks"),
    ("sam", "community", "/webhooks/new"),
]


@pytest.fixture(params=["en", "fr"])
def phone(request, site):
    """Everyone's window at 375 px, in the language chosen; back to the desktop afterwards."""
    language = request.param
    for person in site.people.values():
        person.page.set_viewport_size(PHONE)
        person.context.add_cookies([{"name": "lang", "value": language, "url": site.stack.panda_url}])
    yield language
    for person in site.people.values():
        person.page.set_viewport_size(DESKTOP)
        person.context.clear_cookies(name="lang")


def horizontal_overflow(page) -> list[str]:
    """The page's own sideways scroll, and the elements that stick out of the window (for the message)."""
    return page.evaluate("""() => {
        const root = document.documentElement;
        if (root.scrollWidth <= root.clientWidth) return [];
        const wide = [...document.querySelectorAll('body *')].filter(element => {
            const box = element.getBoundingClientRect();
            return box.right > root.clientWidth + 1 && !element.closest('.table-wrap');
        });
        return [`scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`,
                ...wide.slice(0, 8).map(element => element.tagName.toLowerCase() +
                    (element.id ? '#' + element.id : '') + (element.className ? '.' + element.className : ''))];
    }""")


@pytest.mark.parametrize("who, service, path", MAIN_PAGES, ids=[f"{s}{p}" for _w, s, p in MAIN_PAGES])
def test_the_page_does_not_scroll_sideways_on_a_phone(site, phone, axe_source, who, service, path):
    person = site.people[who]
    person.page.goto(site.url(service, path))
    assert person.lang == phone
    assert horizontal_overflow(person.page) == []
    # Narrow, tables scroll in their box: that box must be reachable with the keyboard, and so on.
    assert serious_violations(person.page, axe_source) == []


# The pages whose tables must not scroll even inside their box on a phone: each row becomes a block of
# labelled lines (customers, accountants, and the agents answering from a phone).
TABLE_PAGES = [
    ("jan", "panda", "/"),
    ("jan", "panda", "/orgs"),
    ("an", "panda", "/orgs/{bakery}/members"),
    ("an", "panda", "/orgs/{bakery}/audit"),
    ("an", "panda", "/requests"),
    ("jan", "panda", "/account/activity"),
    ("jan", "community", "/switch"),
    ("jan", "community", "/orgs/{bakery}/cases"),
    ("jan", "community", "/cases"),
    ("sam", "community", "/agent?status=all&assignee=any"),
    ("sam", "community", "/agent/cases/{case}"),
    ("sam", "community", "/agent/reports"),
    ("sam", "community", "/agent/kb"),
    ("sam", "community", "/agent/canned"),
]


@pytest.mark.parametrize("who, service, path", TABLE_PAGES, ids=[f"{s}{p}" for _w, s, p in TABLE_PAGES])
def test_organization_case_and_activity_tables_do_not_scroll_on_a_phone(site, phone, who, service, path):
    person = site.people[who]
    person.page.goto(site.url(service, path))
    scrolling = person.page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
        .filter(box => box.scrollWidth > box.clientWidth + 1)
        .map(box => `${box.querySelector('table')?.className || 'table'}: ${box.scrollWidth} > ${box.clientWidth}`)""")
    assert scrolling == []


@pytest.mark.parametrize("who, service, path", MAIN_PAGES, ids=[f"{s}{p}" for _w, s, p in MAIN_PAGES])
def test_the_page_does_not_scroll_sideways_on_a_desktop(site, who, service, path):
    person = site.people[who]
    person.page.goto(site.url(service, path))
    assert horizontal_overflow(person.page) == []


@pytest.mark.parametrize("service", ["panda", "community"])
def test_the_user_menu_fits_a_phone_and_switches_organization(site, phone, service):
    jan = site.people["jan"]
    page = jan.page
    page.goto(site.url(service, "/"))
    jan.open_user_menu()
    panel = page.locator("details.user-menu .menu-panel").bounding_box()
    assert panel is not None
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= PHONE["width"], panel
    assert panel["y"] >= 0 and panel["y"] < PHONE["height"], panel
    assert horizontal_overflow(page) == []
    target = site.url(service, "/orgs/{bakery}/")
    entry = page.locator(f'details.user-menu .org-list a[href="{site.path("/orgs/{bakery}/")}"]')
    entry.scroll_into_view_if_needed()
    with page.expect_navigation():
        entry.click()
    assert page.url == target
    assert horizontal_overflow(page) == []
