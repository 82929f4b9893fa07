"""The switcher, the case form and the conversation with the keyboard alone, with a visible focus.

Nothing here clicks: focus moves with Tab, menus open with Enter or Space, choices
change with the arrow keys, and forms are sent with Enter on their button. Each
element reached shows a focus outline of at least two pixels.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TAB_LIMIT = 80


def tab_to(page, selector: str) -> dict:
    """Press Tab until the element matching ``selector`` has the focus; returns its focus style."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement?.matches(selector) ?? false", selector):
            return focus_style(page)
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def focus_style(page) -> dict:
    return page.evaluate("""() => {
        const element = document.activeElement, style = getComputedStyle(element);
        return {tag: element.tagName, style: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0,
                color: style.outlineColor, visible: element.matches(':focus-visible')};
    }""")


def contrast(rgb_a: str, rgb_b: str) -> float:
    """WCAG contrast ratio of two CSS ``rgb(…)`` colours."""

    def luminance(rgb: str) -> float:
        channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(rgb_a), luminance(rgb_b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def assert_visible_focus(style: dict) -> None:
    """An outline of two pixels or more, 3:1 against a white card and the grey page (WCAG 1.4.11)."""
    assert style["visible"] and style["style"] not in ("none", "hidden") and style["width"] >= 2, style
    for background in ("rgb(255, 255, 255)", "rgb(245, 247, 250)"):
        assert contrast(style["color"], background) >= 3, style


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.parametrize("service, key", [("panda", "Enter"), ("community", " ")], ids=["panda", "community"])
def test_switch_organization_with_the_keyboard_alone(site, service, key):
    jan = site.people["jan"]
    page = jan.page
    page.goto(site.url(service, "/"))
    menu = page.locator("details.user-menu")

    assert_visible_focus(tab_to(page, "details.user-menu > summary"))
    page.keyboard.press(key)
    assert menu.get_attribute("open") is not None

    target = site.path("/orgs/{bakery}/")
    assert_visible_focus(tab_to(page, f'details.user-menu .org-list a[href="{target}"]'))
    press_and_wait(page, "Enter")
    assert page.url == site.url(service, "/orgs/{bakery}/")
    # The organization now in use is marked as such in the menu.
    assert page.locator(f'details.user-menu .org-list a[href="{target}"]').get_attribute("aria-current") == "true"


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(site):
    page = site.people["jan"].page
    page.goto(site.url("panda", "/"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('a.skip-link')")
    link = page.locator("a.skip-link").bounding_box()
    assert link is not None and link["x"] >= 0 and link["width"] > 1  # on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_open_a_case_and_reply_with_the_keyboard_alone(site):
    jan = site.people["jan"]
    page = jan.page
    page.goto(site.url("community", "/orgs/{brewery}/cases/new"))

    assert_visible_focus(tab_to(page, "#product"))
    page.keyboard.press("ArrowDown")  # the first product
    assert page.input_value("#product") != ""
    assert_visible_focus(tab_to(page, "#category"))
    page.keyboard.press("ArrowDown")  # its first category
    assert page.input_value("#category") != ""
    assert_visible_focus(tab_to(page, "#subject"))
    page.keyboard.type("Stock count does not close")
    assert_visible_focus(tab_to(page, "#description"))
    page.keyboard.type("The yearly stock count stays open after the last line is entered.")
    assert_visible_focus(tab_to(page, "main form[action$='/cases/new'] button[type=submit]"))
    press_and_wait(page, "Enter")
    assert "/cases/" in page.url and not page.url.endswith("/new"), page.url
    assert page.locator("main h1").inner_text().endswith("Stock count does not close")

    # The conversation: write a reply and send it, still without a mouse.
    assert_visible_focus(tab_to(page, "#body"))
    page.keyboard.type("One more detail: it happens in the second warehouse only.")
    assert_visible_focus(tab_to(page, "main form[action$='/reply'] button[type=submit]"))
    press_and_wait(page, "Enter")
    assert page.locator("ol.timeline").filter(has_text="second warehouse only").count() == 1


def test_an_agent_answers_with_the_keyboard_alone(site):
    sam = site.people["sam"]
    page = sam.page
    page.goto(site.url("community", "/agent/cases/{brewery_case}"))
    assert_visible_focus(tab_to(page, "#body"))
    page.keyboard.type("We reproduced it; a fix follows this week.")
    assert_visible_focus(tab_to(page, "main form[action$='/messages'] button[type=submit]"))
    press_and_wait(page, "Enter")
    assert page.locator("#conversation").filter(has_text="a fix follows this week").count() == 1


def test_invite_an_administrator_with_the_keyboard_alone(site):
    page = site.people["an"].page
    page.goto(site.url("panda", "/orgs/{bakery}/invitations/new"))
    assert_visible_focus(tab_to(page, "#email"))
    page.keyboard.type("pieter.peeters@example.be")
    assert_visible_focus(tab_to(page, "input[name=role]:checked"))
    page.keyboard.press("ArrowDown")  # from "member" to "administrator"
    assert page.is_checked("#role-admin")
    assert_visible_focus(tab_to(page, "#application-support_community"))
    page.keyboard.press(" ")
    assert page.is_checked("#application-support_community")
    assert_visible_focus(tab_to(page, "main form[action$='/invitations/new'] button[type=submit]"))
    press_and_wait(page, "Enter")
    assert page.url == site.url("panda", "/orgs/{bakery}/members")
    assert page.locator("main table").filter(has_text="pieter.peeters@example.be").count() == 1
