"""Downloading one's data is confirmed like a change of e-mail address.

With two-step verification: a second factor given in the last 10 minutes (else the step-up
page first). Without it: the password, a wrong one counted like a wrong password.
"""

from __future__ import annotations

import time

from panda_portal.audit.models import AuditEvent
from tests.portal.factories import PASSWORD, sign_in_client
from tests.portal.mfa.helpers import code, turn_on
from tests.portal.oidc.conftest import _reuse_generated_keys, _rsa_key_pool  # noqa: F401  (autouse: quick RSA keys)


def _browser(panda, panda_db, account):
    client = panda.test_client()
    client.csrf_page = "/account/data"
    panda_db.session.commit()
    sign_in_client(client, account)
    return client


def _downloads(panda_db) -> int:
    panda_db.session.expire_all()
    return panda_db.session.query(AuditEvent).filter(AuditEvent.action == "account.personal_data_downloaded").count()


def test_without_two_step_verification_the_password_is_asked_and_a_wrong_one_gives_nothing(
    panda, panda_db, make_account
):
    ann = make_account(email="ann@example.org")
    browser = _browser(panda, panda_db, ann)
    page = browser.get("/account/data").get_data(as_text=True)
    assert 'type="password"' in page and 'autocomplete="current-password"' in page

    wrong = browser.post_form("/account/data", {"password": "certainly not the password"})
    nothing = browser.post_form("/account/data", {})

    for refused in (wrong, nothing):
        assert refused.status_code == 400 and refused.mimetype == "text/html"
        assert "Your password is not correct." in refused.get_data(as_text=True)
    assert _downloads(panda_db) == 0
    right = browser.post_form("/account/data", {"password": PASSWORD})
    assert right.status_code == 200 and right.mimetype == "application/zip"
    assert _downloads(panda_db) == 1


def test_wrong_passwords_are_throttled(panda, panda_db, make_account, monkeypatch):
    monkeypatch.setitem(panda.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    ann = make_account(email="ann@example.org")
    browser = _browser(panda, panda_db, ann)
    statuses = [browser.post_form("/account/data", {"password": "wrong"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert browser.post_form("/account/data", {"password": PASSWORD}).status_code == 429


def test_with_two_step_verification_an_old_second_factor_sends_to_the_step_up_page_first(panda, panda_db, make_account):
    ann = make_account(email="ann@example.org")
    with panda.test_request_context("/"):
        secret, _codes = turn_on(ann)
    browser = _browser(panda, panda_db, ann)  # signed in without a second factor in this session (remembered)

    for response in (browser.get("/account/data"), browser.post_form("/account/data", {"password": PASSWORD})):
        assert response.status_code == 302
        assert response.location == "/account/two-step/confirm?next=/account/data"

    with browser.session_transaction() as session:
        session["second_factor_at"] = int(time.time()) - 11 * 60  # given 11 minutes ago
    assert browser.post_form("/account/data", {}).status_code == 302

    confirmed = browser.post_form(
        "/account/two-step/confirm", {"code": code(secret), "next": "/account/data"}, page="/account/two-step"
    )
    assert confirmed.location == "/account/data"
    page = browser.get("/account/data").get_data(as_text=True)
    assert 'type="password"' not in page  # the second factor was the confirmation
    download = browser.post_form("/account/data", {})
    assert download.status_code == 200 and download.mimetype == "application/zip"
