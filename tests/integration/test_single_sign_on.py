"""A new person registers at Panda, verifies from the mail, and reaches the community signed in.

Both services run over real HTTP with their outbox workers and a real SMTP
server; the person is a cookie-keeping browser without JavaScript.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.live import Browser

pytestmark = pytest.mark.integration

PASSWORD = "a long and personal passphrase"


def wait_for_mail(smtp, address: str, *, subject_contains: str = "", timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in reversed(smtp.to(address)):
            if subject_contains.lower() in mail.subject.lower():
                return mail
        time.sleep(0.05)
    raise AssertionError(
        f"no mail to {address} about {subject_contains!r}: {[(m.to, m.subject) for m in smtp.messages]}"
    )


def register_and_verify(stack, browser: Browser, *, name: str, email: str, language: str = "en") -> None:
    browser.get(f"{stack.panda_url}/register")
    browser.submit("/register", {"name": name, "email": email, "password": PASSWORD, "language": language})
    assert browser.response.status_code == 200
    mail = wait_for_mail(stack.smtp, email)
    link = next(link for link in mail.links() if "/verify/" in link)
    browser.get(link)
    browser.submit("/verify/")
    assert browser.response.ok, browser.text


def sign_in_to_panda(stack, browser: Browser, email: str) -> None:
    browser.get(f"{stack.panda_url}/sign-in")
    browser.submit("/sign-in", {"email": email, "password": PASSWORD})
    assert browser.url.rstrip("/") == stack.panda_url, browser.url


def test_register_verify_sign_in_and_reach_the_community_without_a_second_password(stack):
    browser = Browser()
    email = f"eva.{uuid.uuid4().hex[:6]}@example.be"
    register_and_verify(stack, browser, name="Eva Claes", email=email)
    sign_in_to_panda(stack, browser, email)
    assert browser.has_text("Eva Claes")

    # The community: one click on "Sign in with Panda", no password asked.
    browser.get(f"{stack.community_url}/")
    browser.get(f"{stack.community_url}/auth/sign-in")
    assert browser.url.startswith(stack.community_url), browser.url
    assert browser.has_text("Eva Claes")
    assert not any("password" in form["fields"] for form in browser.forms())
    cookies = {cookie.name for cookie in browser.session.cookies}
    assert {"panda_session", "community_session"} <= cookies

    # Signing out of the community also signs out of Panda, and lands on the community's start page.
    browser.submit("/auth/sign-out")
    if "/end-session" in browser.url:  # Panda asks to confirm when it cannot tell who asked
        browser.submit("/end-session")
    assert browser.url.split("?")[0].rstrip("/") == stack.community_url, browser.url
    assert not browser.has_text("Eva Claes")
    browser.get(f"{stack.panda_url}/")
    assert "/sign-in" in browser.url
