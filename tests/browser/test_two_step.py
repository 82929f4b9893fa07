"""Two-step verification in Chromium: set up with an authenticator app, then sign in with a code.

A person turns it on from her profile (the QR code and the key as text; the code is
computed here with pyotp, as her phone would), keeps her recovery codes, and signs in
again: the password, then the code, with no session in between. Signing in to the
community goes through the same two steps and continues the OpenID request; a recovery
code works once and is announced by mail; a remembered browser skips the code.
"""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest

from tests.browser.harness import PASSWORD, serious_violations

pytestmark = pytest.mark.browser

STEP = 30


def _sign_out_of_panda(person) -> None:
    person.panda("/")
    person.open_user_menu()
    person.submit("details.user-menu form[action='/sign-out']")
    assert person.path.startswith("/sign-in")


def _password_step(person) -> None:
    person.page.fill("#email", person.email)
    person.page.fill("#password", PASSWORD)
    person.submit("main form[action^='/sign-in']")
    assert person.path.startswith("/sign-in/two-step"), person.path


def test_two_step_verification_from_set_up_to_a_remembered_browser(stack, people, mailbox, axe_source):
    language = "nl"
    ann = people("An Peeters", f"an.mfa.{uuid.uuid4().hex[:6]}@example.be", language)
    ann.register_and_verify(mailbox)
    ann.sign_in_to_panda()

    # On her profile: "Two-step verification" → set up, with a QR code and the key as text.
    ann.panda("/account")
    ann.follow("main a[href='/account/two-step']")
    ann.follow("main a[href='/account/two-step/set-up']")
    assert ann.lang == language
    qr = ann.page.locator("main img.qr-code")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0"), "the QR code did not load (CSP?)"
    assert serious_violations(ann.page, axe_source) == []
    secret = ann.page.locator("#totp-secret").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)
    code_field = ann.page.locator("#code")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert code_field.get_attribute("inputmode") == "numeric"
    now = time.time()
    code_field.fill(app.at(now))
    ann.submit("main form[action='/account/two-step/set-up']")
    recovery_codes = ann.page.locator("main ul.recovery-codes code").all_inner_texts()
    assert len(recovery_codes) == 10
    assert serious_violations(ann.page, axe_source) == []

    # Signing in again: the password, then the code; in between, no page of hers opens.
    _sign_out_of_panda(ann)
    _password_step(ann)
    ann.panda("/account")
    assert ann.path.startswith("/sign-in?"), ann.path
    ann.panda("/")
    assert ann.path.startswith("/sign-in"), ann.path
    assert ann.page.locator("details.user-menu").count() == 0

    ann.page.goto(stack.panda_url + "/sign-in/two-step")
    assert serious_violations(ann.page, axe_source) == []

    # "Sign in with Panda" in the community: both steps, then back to the community.
    ann.community("/")
    ann.follow('a[href^="/auth/sign-in"]')
    assert ann.page.url.startswith(stack.panda_url + "/sign-in"), ann.page.url
    _password_step(ann)
    ann.page.fill("#code", app.at(now + STEP))  # the next code: the one that turned it on is used up
    with ann.page.expect_navigation(url=lambda url: url.startswith(stack.community_url)):
        ann.page.locator("main form[action='/sign-in/two-step'] [type=submit]").click()
    ann.page.wait_for_load_state()
    assert ann.page.locator("details.user-menu summary").inner_text().strip() == ann.name

    # Without her phone: a recovery code, once, and this browser is remembered.
    _sign_out_of_panda(ann)
    _password_step(ann)
    ann.page.locator("main details.recovery-code summary").click()
    ann.page.fill("#recovery_code", recovery_codes[0])
    ann.page.check("#remember")
    ann.submit("main form[action='/sign-in/two-step']")
    assert ann.page.locator("details.user-menu summary").inner_text().strip() == ann.name
    assert mailbox.link(ann.email, "/account/two-step")  # "a recovery code was used", with the way to new ones

    # The remembered browser skips the code; the used recovery code is refused elsewhere.
    _sign_out_of_panda(ann)
    ann.page.fill("#email", ann.email)
    ann.page.fill("#password", PASSWORD)
    ann.submit("main form[action^='/sign-in']")
    assert ann.page.locator("details.user-menu summary").inner_text().strip() == ann.name

    other = people("An Peeters", ann.email, language)
    other.panda("/sign-in")
    _password_step(other)
    other.page.locator("main details.recovery-code summary").click()
    other.page.fill("#recovery_code", recovery_codes[0])
    other.submit("main form[action='/sign-in/two-step']")
    assert other.path.startswith("/sign-in/two-step")
    assert other.page.locator("#recovery_code[aria-invalid=true]").count() == 1


def test_a_passkey_from_chromiums_virtual_authenticator_is_the_second_step(stack, chromium, axe_source):
    """Passkeys need a real host name (WebAuthn refuses IP addresses): this browser uses localhost."""
    from types import SimpleNamespace

    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db as panda_db
    from tests.browser.harness import DESKTOP, Person
    from tests.portal.mfa.helpers import turn_on

    email = f"jan.passkey.{uuid.uuid4().hex[:6]}@example.be"
    with stack.panda.test_request_context("/"):
        account = create_account(email, "Jan Janssens", PASSWORD, "fr", verified=True)
        panda_db.session.commit()
        secret, _codes = turn_on(account)
    app = pyotp.TOTP(secret)

    context = chromium.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(15_000)
    try:
        site = SimpleNamespace(
            panda_url=f"http://localhost:{stack.panda_port}", community_url=f"http://localhost:{stack.community_port}"
        )
        jan = Person(site, context, name="Jan Janssens", email=email, language="fr")
        authenticator = context.new_cdp_session(jan.page)
        authenticator.send("WebAuthn.enable")
        added = authenticator.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )

        # Signed in with his password and his app's code, he adds a passkey and names it.
        jan.panda("/sign-in")
        _password_step(jan)
        jan.page.fill("#code", app.at(time.time() + STEP))  # the code that turned it on was used up
        jan.submit("main form[action='/sign-in/two-step']:not([data-passkey])")
        assert jan.lang == "fr"
        jan.panda("/account/two-step")
        jan.follow("main a[href='/account/two-step/passkeys']")
        jan.page.fill("#name", "Ordinateur portable")
        jan.submit("main form[data-passkey='create']")
        assert jan.page.locator("main li.passkey").count() == 1
        assert jan.page.locator("main li.passkey input[name=name]").input_value() == "Ordinateur portable"
        assert serious_violations(jan.page, axe_source) == []
        stored = authenticator.send("WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]})
        assert len(stored["credentials"]) == 1

        # He renames it.
        jan.page.fill("main li.passkey input[name=name]", "Portable du bureau")
        jan.submit("main form.rename-passkey")
        assert jan.page.locator("main li.passkey input[name=name]").input_value() == "Portable du bureau"

        # Next time: the password, then the passkey instead of a code.
        _sign_out_of_panda(jan)
        _password_step(jan)
        jan.submit("main form[data-passkey='get']")
        assert jan.page.locator("details.user-menu summary").inner_text().strip() == jan.name
        assert jan.path == "/"

        # Removing it is a change of the second factor: allowed right after the passkey was used.
        jan.panda("/account/two-step/passkeys")
        jan.submit("main form.remove-passkey")
        assert jan.page.locator("main li.passkey").count() == 0

        # Without a passkey, the second step offers none.
        _sign_out_of_panda(jan)
        _password_step(jan)
        assert jan.page.locator("main form[data-passkey='get']").count() == 0
    finally:
        context.close()
