"""Pictures of the key screens for the README, taken at desktop width on every run.

Every run takes them (a screen that no longer opens fails the test), but only
``make screenshots`` (``UPDATE_SCREENSHOTS=1``) writes them to ``docs/screenshots/``:
the pictures show times and dates, so writing them on every run would leave the
working tree changed after each ``make test``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.harness import DESKTOP

pytestmark = pytest.mark.browser

MAX_HEIGHT = 1200
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# (file, who, service, path, with the user menu open)
SCREENS = [
    ("panda-switch-organization.png", "jan", "panda", "/", True),
    ("panda-member-application-access.png", "an", "panda", "/orgs/{bakery}/members/{jan_in_bakery}", False),
    ("community-case-list.png", "jan", "community", "/orgs/{bakery}/cases", False),
    ("community-case-conversation.png", "jan", "community", "/orgs/{bakery}/cases/{case}", False),
    ("community-agent-queue.png", "sam", "community", "/agent?status=all&assignee=any", False),
]


def test_the_key_screens_are_photographed_for_the_readme(site, tmp_path):
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for filename, who, service, path, menu in SCREENS:
        person = site.people[who]
        response = person.page.goto(site.url(service, path))
        assert response.status == 200, (filename, response.status)
        if menu:
            person.open_user_menu()
        # No blinking caret or focus ring in the picture.
        person.page.evaluate("document.activeElement?.blur()")
        target = folder / filename
        # The whole page, up to a screen and a half: lists show their rows, not only their filters.
        height = min(person.page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
        person.page.screenshot(
            path=str(target),
            animations="disabled",
            caret="hide",
            full_page=True,
            clip={"x": 0, "y": 0, "width": DESKTOP["width"], "height": height},
        )
        assert target.stat().st_size > 10_000
