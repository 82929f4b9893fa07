"""Every page of both services, as the person who sees it, checked with axe-core for WCAG 2.2 A and AA.

A serious or critical violation fails the page. axe is handed to the page through
the DevTools protocol (``page.evaluate``), which the pages' strict Content Security
Policy does not block, so the pages are checked exactly as they are served.
"""

from __future__ import annotations

import pytest

from tests.browser.harness import serious_violations

pytestmark = pytest.mark.browser

# (name, who, service, path; "+menu": with the user menu open)
PAGES = [
    ("panda sign-in", "visitor", "panda", "/sign-in"),
    ("panda register", "visitor", "panda", "/register"),
    ("panda forgotten password", "visitor", "panda", "/forgot-password"),
    ("panda resend confirmation", "visitor", "panda", "/resend-verification"),
    ("panda invitation, signed out", "visitor", "panda", "{invitation}"),
    ("panda home", "jan", "panda", "/"),
    ("panda home, switcher open", "jan", "panda", "/+menu"),
    ("panda all organizations", "jan", "panda", "/orgs"),
    ("panda add an organization", "jan", "panda", "/orgs/add"),
    ("panda organization as member", "jan", "panda", "/orgs/{bakery}/"),
    ("panda organization as administrator", "an", "panda", "/orgs/{bakery}/"),
    ("panda members", "an", "panda", "/orgs/{bakery}/members"),
    ("panda member detail", "an", "panda", "/orgs/{bakery}/members/{jan_in_bakery}"),
    ("panda request to join", "an", "panda", "/orgs/{bakery}/requests/{pending_request}"),
    ("panda invitation form", "an", "panda", "/orgs/{bakery}/invitations/new"),
    ("panda audit log", "an", "panda", "/orgs/{bakery}/audit"),
    ("panda remove a member", "an", "panda", "/orgs/{bakery}/members/{jan_in_bakery}/remove"),
    ("panda step down (last administrator)", "jan", "panda", "/orgs/{brewery}/step-down"),
    ("panda leave", "jan", "panda", "/orgs/{bakery}/leave"),
    ("panda invitation, another account", "jan", "panda", "{invitation}"),
    ("panda your account", "jan", "panda", "/account"),
    ("panda change password", "jan", "panda", "/account/password"),
    ("panda your activity", "jan", "panda", "/account/activity"),
    ("panda not found", "jan", "panda", "/orgs/{nowhere}/"),
    ("community start, signed out", "visitor", "community", "/"),
    ("community home", "jan", "community", "/"),
    ("community home, switcher open", "jan", "community", "/+menu"),
    ("community switch organization", "jan", "community", "/switch"),
    ("community organization", "jan", "community", "/orgs/{bakery}/"),
    ("community case list", "jan", "community", "/orgs/{bakery}/cases"),
    ("community new case", "jan", "community", "/orgs/{bakery}/cases/new"),
    ("community case", "jan", "community", "/orgs/{bakery}/cases/{case}"),
    ("community all my clients", "jan", "community", "/cases"),
    ("community choose the organization", "jan", "community", "/cases/new"),
    ("community mail preferences", "jan", "community", "/account/notifications"),
    ("community not found", "jan", "community", "/orgs/{nowhere}/cases"),
    ("agent queue", "sam", "community", "/agent?status=all&assignee=any"),
    ("agent queue, switcher open", "sam", "community", "/agent+menu"),
    ("agent case", "sam", "community", "/agent/cases/{case}"),
]


def visit(site, who: str, service: str, path: str):
    person = site.people[who]
    menu = path.endswith("+menu")
    response = person.page.goto(site.url(service, path.removesuffix("+menu")))
    if menu:
        person.open_user_menu()
    return person, response


@pytest.mark.parametrize("name, who, service, path", PAGES, ids=[page[0] for page in PAGES])
def test_the_page_has_no_serious_accessibility_violation(site, axe_source, name, who, service, path):
    person, response = visit(site, who, service, path)
    expected = 404 if "not found" in name else 200
    assert response.status == expected, (name, response.status, person.page.url)
    assert person.lang == "en"
    assert serious_violations(person.page, axe_source) == []


def test_pages_shown_after_a_form_have_no_serious_accessibility_violation(site, axe_source):
    from tests.browser.site import FREE_CUSTOMER
    from tests.browser.steps import add_organization

    jan, an, visitor = site.people["jan"], site.people["an"], site.people["visitor"]
    # The confirmation before adding an organization.
    add_organization(jan, FREE_CUSTOMER)
    assert jan.page.locator("main form[action='/orgs/add/confirm']").count() == 1
    assert serious_violations(jan.page, axe_source) == []
    # The add form with its errors next to the fields.
    jan.panda("/orgs/add")
    jan.page.fill("#customer_number", "999999")
    jan.page.fill("#enterprise_number", "0123.456.789")
    jan.submit("main form[action='/orgs/add']")
    assert jan.page.locator("main [aria-invalid=true]").count() >= 1
    assert serious_violations(jan.page, axe_source) == []
    # The review of a change of application access.
    an.page.goto(site.url("panda", "/orgs/{bakery}/members/{jan_in_bakery}"))
    an.page.uncheck("#application-support_community")
    an.submit("main form:has(#application-support_community)")
    assert an.page.locator("main input[name=confirmed]").count() == 1
    assert serious_violations(an.page, axe_source) == []
    # Registration with mistakes.
    visitor.panda("/register")
    visitor.page.fill("#name", "Lena Peeters")
    visitor.page.fill("#email", "lena@example.be")
    visitor.page.fill("#password", "password")
    visitor.submit("main form[action='/register']")
    assert visitor.page.locator("main [aria-invalid=true]").count() >= 1
    assert serious_violations(visitor.page, axe_source) == []
    # A new case without the required fields.
    jan.page.goto(site.url("community", "/orgs/{bakery}/cases/new"))
    jan.submit("main form[action$='/cases/new']")
    assert jan.page.locator("main [aria-invalid=true]").count() >= 1
    assert serious_violations(jan.page, axe_source) == []
