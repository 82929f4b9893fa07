"""Signing in with an address and a password (``accounts.services.sign_in``)."""

from __future__ import annotations

import pytest

from panda_portal.accounts.services import sign_in
from panda_portal.accounts.services.administration import disable_account
from panda_portal.accounts.services.errors import DisabledAccountError, UnverifiedAccountError
from panda_portal.accounts.services.sign_in import authenticate
from tests.portal.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("in_request")  # services speak to people, in a request's language


def test_authenticate_returns_the_account_for_the_right_password(make_account):
    account = make_account(email="ann@example.org")
    assert authenticate("ANN@example.org", PASSWORD) is account
    assert authenticate("ann@example.org", "wrong password here!!") is None
    assert authenticate("nobody@example.org", PASSWORD) is None


def test_authenticate_hashes_a_dummy_password_for_unknown_addresses(monkeypatch):
    calls = []
    monkeypatch.setattr(sign_in, "burn_verification_time", lambda password: calls.append(password))
    assert authenticate("nobody@example.org", "some password or other") is None
    assert calls == ["some password or other"]


def test_an_unconfirmed_account_is_named_only_after_the_right_password(make_account):
    make_account(email="ann@example.org", verified=False)
    assert authenticate("ann@example.org", "wrong password here!!") is None
    with pytest.raises(UnverifiedAccountError):
        authenticate("ann@example.org", PASSWORD)


def test_a_disabled_account_cannot_sign_in(make_account):
    account = make_account(email="ann@example.org")
    disable_account(account, actor=None)
    assert authenticate("ann@example.org", "wrong password here!!") is None
    with pytest.raises(DisabledAccountError):
        authenticate("ann@example.org", PASSWORD)


def test_signing_in_upgrades_a_hash_made_with_older_parameters(make_account, panda_db):
    from argon2 import PasswordHasher

    account = make_account(email="ann@example.org")
    account.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    panda_db.session.flush()
    authenticate("ann@example.org", PASSWORD)
    assert account.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
