"""The webhook pages on a phone (375 px), in English and French: usable without sideways scrolling.

An administrator adds a webhook through the form in each service, sees the secret page and the
webhook's page; the vendor's pages are checked for the agent.
"""

from __future__ import annotations

import pytest

from tests.browser.harness import DESKTOP, PHONE, serious_violations
from tests.browser.test_layout import horizontal_overflow

pytestmark = pytest.mark.browser

PAGES = [
    ("an", "panda", "/orgs/{bakery}/webhooks"),
    ("sam", "panda", "/webhooks"),
    ("jan", "community", "/orgs/{brewery}/webhooks"),
    ("sam", "community", "/webhooks"),
]


@pytest.fixture(params=["en", "fr"])
def phone(request, site):
    language = request.param
    for person in site.people.values():
        person.page.set_viewport_size(PHONE)
        person.context.add_cookies([{"name": "lang", "value": language, "url": site.stack.panda_url}])
        person.context.add_cookies([{"name": "lang", "value": language, "url": site.stack.community_url}])
    yield language
    for person in site.people.values():
        person.page.set_viewport_size(DESKTOP)
        person.context.clear_cookies(name="lang")


def fits(page, axe_source) -> None:
    assert horizontal_overflow(page) == []
    assert serious_violations(page, axe_source) == []


@pytest.mark.parametrize("who, service, base", PAGES, ids=[f"{s}{p}" for _w, s, p in PAGES])
def test_adding_a_webhook_works_on_a_phone(site, phone, axe_source, who, service, base):
    page = site.people[who].page
    page.goto(site.url(service, base + "/new"))
    fits(page, axe_source)
    page.fill("#url", "https://93.184.215.14/hooks/a-rather-long-path-that-a-phone-must-wrap?token=0123456789abcdef")
    page.locator("input[name=events]").first.check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    secret = page.locator("#secret").input_value()
    assert secret.startswith("whsec_")
    fits(page, axe_source)
    page.locator("main .actions a.button").click()
    page.wait_for_load_state()
    assert secret not in page.content()
    fits(page, axe_source)
    page.goto(site.url(service, base))
    fits(page, axe_source)
