"""Where you are signed in, on a phone (375 px wide), in Dutch and in French.

A person signs in on a laptop and on her phone; the phone's page lists both, this one
marked, fits the screen without sideways scrolling, passes axe-core, and signs the
laptop out (which then sees the sign-in page). The phone's page is photographed
(``docs/screenshots/panda-sessions-<language>.png`` with ``UPDATE_SCREENSHOTS=1``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.browser.harness import PHONE, serious_violations

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TEXTS = {
    "nl": {"this": "Deze browser", "sign_out": "Afmelden", "done": "Die sessie is afgemeld."},
    "fr": {"this": "Ce navigateur", "sign_out": "Se déconnecter", "done": "Cette session est déconnectée."},
}


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_sessions_page_on_a_phone_lists_both_browsers_and_signs_the_other_out(
    stack, people, mailbox, axe_source, tmp_path, language
):
    email = f"eva.{uuid.uuid4().hex[:6]}@example.be"
    laptop = people("Eva Claes", email, language)
    laptop.register_and_verify(mailbox)
    laptop.sign_in_to_panda()
    phone = people("Eva Claes", email, language, viewport=PHONE)
    phone.sign_in_to_panda()

    phone.panda("/account")
    phone.follow("main a[href='/account/sessions']")
    page = phone.page
    texts = TEXTS[language]
    assert phone.lang == language
    cards = page.locator("ul.session-list > li")
    assert cards.count() == 2
    assert texts["this"] in cards.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert serious_violations(page, axe_source) == []

    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement?.blur()")
    target = folder / f"panda-sessions-{language}.png"
    page.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide")
    assert target.stat().st_size > 10_000
    if os.environ.get("SESSIONS_SCREENSHOT_COPY"):  # to look at them outside the test's folder
        Path(os.environ["SESSIONS_SCREENSHOT_COPY"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["SESSIONS_SCREENSHOT_COPY"]) / target.name).write_bytes(target.read_bytes())

    phone.submit("ul.session-list form[action='/account/sessions/sign-out']")
    assert texts["done"] in page.locator(".flashes").inner_text()
    assert page.locator("ul.session-list > li").count() == 1
    laptop.panda("/account")
    assert laptop.path.startswith("/sign-in"), laptop.path


@pytest.mark.parametrize("path", ["/account/email", "/account/data", "/account/delete"])
def test_the_address_data_and_deletion_pages_fit_a_phone_and_pass_axe(stack, people, mailbox, axe_source, path):
    person = people("Eva Claes", f"eva.{uuid.uuid4().hex[:6]}@example.be", "fr", viewport=PHONE)
    person.register_and_verify(mailbox)
    person.sign_in_to_panda()
    response = person.panda(path)
    assert response.status == 200 and person.lang == "fr"
    assert person.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert serious_violations(person.page, axe_source) == []
