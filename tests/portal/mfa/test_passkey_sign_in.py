"""Signing in with a passkey alone: no e-mail address, no password, the authenticator verifies the person.

The sign-in page offers it; the options name no account (the browser offers the passkeys
it holds for this site); the answer must carry user verification, a good signature over
the challenge given to this browser (used once), and a counter that moves forward. The
session then counts two factors (``amr`` ``hwk``/``swk``, ``user``, ``mfa``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from panda_portal.mfa.models import Passkey
from tests.portal.mfa.authenticator import SoftwareAuthenticator, b64url
from tests.portal.mfa.test_passkeys import ORIGIN, _add_passkey, _signed_in, _signed_in_with_a_fresh_second_factor

OPTIONS_URL = "/sign-in/passkey/options"
SIGN_IN_URL = "/sign-in/passkey"


class Passkey_(SoftwareAuthenticator):
    """The test authenticator, answering as a discoverable passkey does (with the user handle), or not."""

    def __init__(self, *, backup: bool = False) -> None:
        super().__init__()
        self.backup = backup
        self.user_handle: bytes | None = None

    def sign_as(self, options_json: str, *, origin: str = ORIGIN, verified: bool = True, counter_step: int = 1) -> str:
        options = json.loads(options_json)
        self.counter += counter_step
        flags = 0x01 | (0x04 if verified else 0) | (0x18 if self.backup else 0)  # UP, UV, BE+BS
        auth_data = hashlib.sha256(options["rpId"].encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter)
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": options["challenge"], "origin": origin, "crossOrigin": False}
        ).encode()
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(self.user_handle) if self.user_handle is not None else None,
                },
            }
        )


def _options(client) -> str:
    answer = client.post_form(OPTIONS_URL, {}, page="/sign-in")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_data(as_text=True)


def _sign_in(client, response: str, next: str = ""):
    return client.post_form(SIGN_IN_URL, {"passkey_response": response, "next": next}, page="/sign-in")


def _person_with_a_passkey(panda_client, two_step_person, login_as, *, backup: bool = False):
    person = two_step_person(email="ann@example.org")
    key = Passkey_(backup=backup)
    key.user_handle = person.account.id.bytes
    _signed_in_with_a_fresh_second_factor(panda_client, person, login_as)
    assert _add_passkey(panda_client, key).status_code == 302
    return person, key


def test_the_sign_in_page_offers_a_passkey_when_the_browser_can(panda_client):
    page = panda_client.get("/sign-in").get_data(as_text=True)
    assert "Sign in with a passkey" in page
    assert 'data-passkey-options-url="/sign-in/passkey/options"' in page
    assert "passkeys.js" in page


def test_the_options_name_no_account_and_require_user_verification(panda_client):
    options = json.loads(_options(panda_client))
    assert options["userVerification"] == "required"
    assert options.get("allowCredentials", []) == []
    assert options["rpId"] == "localhost"


def test_a_passkey_signs_in_without_a_password_and_counts_two_factors(
    panda_client, other_client, panda_db, two_step_person, login_as
):
    person, key = _person_with_a_passkey(panda_client, two_step_person, login_as)

    done = _sign_in(other_client, key.sign_as(_options(other_client)), next="/account")

    assert done.status_code == 302 and done.location == "/account"
    assert _signed_in(other_client)
    with other_client.session_transaction() as session:
        assert session["account_id"] == str(person.account.id)
        assert session["amr"] == ["hwk", "user", "mfa"]
        assert session["second_factor_at"]
    panda_db.session.expire_all()
    stored = panda_db.session.scalars(select(Passkey)).one()
    assert stored.sign_count == key.counter and stored.last_used_at is not None


def test_a_synced_passkey_is_a_software_key(panda_client, other_client, two_step_person, login_as):
    _person, key = _person_with_a_passkey(panda_client, two_step_person, login_as, backup=True)
    assert _sign_in(other_client, key.sign_as(_options(other_client))).status_code == 302
    with other_client.session_transaction() as session:
        assert session["amr"] == ["swk", "user", "mfa"]


def test_without_user_verification_the_passkey_does_not_sign_in(panda_client, other_client, two_step_person, login_as):
    _person, key = _person_with_a_passkey(panda_client, two_step_person, login_as)
    refused = _sign_in(other_client, key.sign_as(_options(other_client), verified=False))
    assert refused.status_code == 400
    assert "This passkey could not sign you in" in refused.get_data(as_text=True)
    assert not _signed_in(other_client)


def test_each_challenge_signs_in_once(panda_client, other_client, two_step_person, login_as):
    _person, key = _person_with_a_passkey(panda_client, two_step_person, login_as)
    options = _options(other_client)
    first = key.sign_as(options)
    assert _sign_in(other_client, first).status_code == 302
    other_client.post_form("/sign-out", {}, page="/account")
    # The same answer again (replayed), and a new answer to the used challenge.
    assert _sign_in(other_client, first).status_code == 400
    assert _sign_in(other_client, key.sign_as(options)).status_code == 400
    assert not _signed_in(other_client)


def test_a_cloned_passkey_whose_counter_goes_back_is_refused(panda_client, other_client, two_step_person, login_as):
    _person, key = _person_with_a_passkey(panda_client, two_step_person, login_as)
    assert _sign_in(other_client, key.sign_as(_options(other_client), counter_step=5)).status_code == 302
    other_client.post_form("/sign-out", {}, page="/account")
    assert _sign_in(other_client, key.sign_as(_options(other_client), counter_step=-2)).status_code == 400


def test_a_passkey_for_another_site_or_another_person_is_refused(
    panda_client, other_client, two_step_person, login_as, make_account
):
    person, key = _person_with_a_passkey(panda_client, two_step_person, login_as)
    assert _sign_in(other_client, key.sign_as(_options(other_client), origin="https://evil.example")).status_code == 400
    key.user_handle = make_account().id.bytes  # a user handle that is not the passkey's owner
    assert _sign_in(other_client, key.sign_as(_options(other_client))).status_code == 400
    assert not _signed_in(other_client)


def test_an_unknown_passkey_and_a_bad_signature_read_the_same(panda_client, other_client, two_step_person, login_as):
    _person, key = _person_with_a_passkey(panda_client, two_step_person, login_as)
    stranger = Passkey_()
    unknown = _sign_in(other_client, stranger.sign_as(_options(other_client)))
    forged = json.loads(key.sign_as(_options(other_client)))
    signature = base64.urlsafe_b64decode(forged["response"]["signature"] + "==")
    forged["response"]["signature"] = b64url(signature[:-1] + bytes([signature[-1] ^ 1]))
    bad = _sign_in(other_client, json.dumps(forged))
    assert unknown.status_code == bad.status_code == 400
    problem = "This passkey could not sign you in. Use your password instead."
    assert problem in unknown.get_data(as_text=True) and problem in bad.get_data(as_text=True)


def test_a_disabled_account_cannot_sign_in_with_its_passkey(
    panda_client, other_client, panda_db, two_step_person, login_as
):
    from shared.database import utcnow

    person, key = _person_with_a_passkey(panda_client, two_step_person, login_as)
    person.account.disabled_at = utcnow()
    panda_db.session.commit()
    assert _sign_in(other_client, key.sign_as(_options(other_client))).status_code == 400


def test_malformed_answers_are_refused_without_an_error(panda_client):
    for answer in ("", "not json", "[]", '{"id": 5}', "{" * 50, json.dumps({"id": "x", "response": "y"}), "x" * 30_000):
        _options(panda_client)
        assert _sign_in(panda_client, answer).status_code == 400, answer[:20]
    assert panda_client.post(SIGN_IN_URL, data={"passkey_response": "{}"}).status_code == 400  # no CSRF token


def test_failed_passkey_sign_ins_are_throttled(panda, panda_client, monkeypatch):
    monkeypatch.setitem(panda.config, "SIGN_IN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    stranger = Passkey_()
    for _ in range(3):
        assert _sign_in(panda_client, stranger.sign_as(_options(panda_client))).status_code == 400
    assert _sign_in(panda_client, stranger.sign_as(_options(panda_client))).status_code == 429


def test_the_next_page_must_be_on_this_site(panda_client, other_client, two_step_person, login_as):
    _person, key = _person_with_a_passkey(panda_client, two_step_person, login_as)
    done = _sign_in(other_client, key.sign_as(_options(other_client)), next="//evil.example/")
    assert done.status_code == 302 and done.location == "/"
