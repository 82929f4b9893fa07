"""Steps of the story that several browser tests take, by stable attributes only (no words)."""

from __future__ import annotations

from panda_portal.organizations.demo_data import demo_customers

CUSTOMERS = {number: enterprise for number, enterprise, _name in demo_customers()}


def enterprise_number_as_typed(customer_number: str) -> str:
    digits = CUSTOMERS[customer_number]
    return f"BE {digits[:4]}.{digits[4:7]}.{digits[7:]}"


def add_organization(person, customer_number: str) -> None:
    person.panda("/")
    person.follow('main a[href="/orgs/add"]')
    person.page.fill("#customer_number", customer_number)
    person.page.fill("#enterprise_number", enterprise_number_as_typed(customer_number))
    person.submit("main form[action='/orgs/add']")


def create_organization(person, customer_number: str) -> str:
    """Not in Panda yet: confirm, and become its administrator. Returns its id."""
    add_organization(person, customer_number)
    person.submit("main form[action='/orgs/add/confirm']")
    assert person.path.startswith("/orgs/") and person.path.endswith("/"), person.path
    return person.path.split("/")[2]


def change_application_access(admin, *, granted: bool) -> None:
    """On the member's detail screen: tick or untick "Support Community", review, confirm."""
    box = "#application-support_community"
    admin.page.check(box) if granted else admin.page.uncheck(box)
    admin.submit("main form:has(#application-support_community)")
    assert admin.page.locator("main input[name=confirmed]").count() == 1
    admin.submit("main form:has(input[name=confirmed])")
    assert admin.page.locator(box).is_checked() is granted


def open_case(person, org_id: str, subject: str, description: str, severity: str | None = None) -> str:
    """A new case in the organization's name; returns its id."""
    page = person.page
    person.follow(f'main a[href="/orgs/{org_id}/cases/new"]')
    product = page.locator("#product option:not([value=''])").first
    page.select_option("#product", product.get_attribute("value"))
    category = page.locator(f'#category optgroup[label="{product.inner_text().strip()}"] option').first
    page.select_option("#category", category.get_attribute("value"))
    if severity:
        page.select_option("#severity", severity)
    page.fill("#subject", subject)
    page.fill("#description", description)
    person.submit(f"main form[action='/orgs/{org_id}/cases/new']")
    assert person.path.startswith(f"/orgs/{org_id}/cases/"), person.path
    assert page.locator("main h1").inner_text().endswith(subject)
    return person.path.rsplit("/", 1)[1]
