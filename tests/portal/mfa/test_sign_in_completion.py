"""Every way of signing in ends the same way: the sessions page shows the browser, a new browser is mailed.

The password alone, the password and a code, and a passkey alone all go through
``mfa.pending.finish_sign_in``.
"""

from __future__ import annotations

from panda_portal.mfa import pending
from tests.portal.mfa.helpers import code
from tests.portal.mfa.test_passkey_sign_in import Passkey_, _options
from tests.portal.mfa.test_passkeys import _add_passkey, _signed_in_with_a_fresh_second_factor
from tests.portal.oidc.conftest import _reuse_generated_keys, _rsa_key_pool  # noqa: F401  (autouse: quick RSA keys)

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
FRENCH_ADDRESS = "90.0.0.1"  # delegated to France
AS_PHONE = {"headers": {"User-Agent": IPHONE}, "environ_base": {"REMOTE_ADDR": FRENCH_ADDRESS}}


def _with_a_passkey_and_a_known_browser(client, person, login_as, sign_in, second_step, deliver) -> Passkey_:
    """The person adds a passkey in ``client``, then signs in there with password and code: a browser the
    account knows (the account's very first sign-in is not announced)."""
    key = Passkey_()
    key.user_handle = person.account.id.bytes
    _signed_in_with_a_fresh_second_factor(client, person, login_as)
    assert _add_passkey(client, key).status_code == 302
    assert sign_in(client, person.account.email).status_code == 302
    assert second_step(client, code=code(person.secret, steps_from_now=1)).status_code == 302
    deliver()
    return key


def _sessions_page(client) -> str:
    page = client.get("/account/sessions", **AS_PHONE)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_passkey_sign_in_from_a_new_browser_is_mailed_and_listed_with_its_device_and_place(
    panda, panda_client, other_client, two_step_person, login_as, sign_in, second_step, deliver, mail_sink
):
    person = two_step_person(email="ann@example.org", language="en")
    key = _with_a_passkey_and_a_known_browser(panda_client, person, login_as, sign_in, second_step, deliver)
    assert mail_sink.to("ann@example.org") == []

    options = _options(other_client)
    done = other_client.post_form(
        "/sign-in/passkey", {"passkey_response": key.sign_as(options)}, page="/sign-in", **AS_PHONE
    )

    assert done.status_code == 302
    mail = deliver("ann@example.org")
    assert "iPhone" in mail.text and "France" in mail.text
    page = _sessions_page(other_client)
    assert "iPhone" in page and "France" in page and FRENCH_ADDRESS in page
    # The unfinished sign-in's cookies are cleared on the way in.
    cleared = [value for value in done.headers.getlist("Set-Cookie") if value.startswith(f"{pending.PENDING_COOKIE}=")]
    assert cleared and "Max-Age=0" in cleared[0]


def test_a_sign_in_with_password_and_code_from_a_new_browser_is_mailed_and_listed(
    panda, panda_client, other_client, two_step_person, sign_in, second_step, deliver, mail_sink
):
    person = two_step_person(email="ann@example.org", language="en")
    assert sign_in(panda_client, "ann@example.org").status_code == 302
    assert second_step(panda_client, code=code(person.secret)).status_code == 302
    deliver()
    assert mail_sink.to("ann@example.org") == []

    assert sign_in(other_client, "ann@example.org", **AS_PHONE).status_code == 302
    deliver()
    assert mail_sink.to("ann@example.org") == []  # no session and no mail before the second factor
    assert second_step(other_client, code=code(person.secret, steps_from_now=1), **AS_PHONE).status_code == 302

    mail = deliver("ann@example.org")
    assert "iPhone" in mail.text and "France" in mail.text
    page = _sessions_page(other_client)
    assert "iPhone" in page and FRENCH_ADDRESS in page


def test_a_refused_passkey_neither_signs_in_nor_mails(
    panda, panda_client, other_client, two_step_person, login_as, sign_in, second_step, deliver, mail_sink
):
    person = two_step_person(email="ann@example.org", language="en")
    key = _with_a_passkey_and_a_known_browser(panda_client, person, login_as, sign_in, second_step, deliver)

    refused = other_client.post_form(
        "/sign-in/passkey", {"passkey_response": key.sign_as(_options(other_client), verified=False)}, page="/sign-in"
    )

    assert refused.status_code == 400
    deliver()
    assert mail_sink.to("ann@example.org") == []
    assert other_client.get("/account/sessions").status_code in (302, 401)
