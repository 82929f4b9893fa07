"""A code sent twice at the same moment opens the account once (real concurrent transactions, PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.mfa.services import recovery_codes, totp, two_step
from tests.portal.mfa.helpers import code, turn_on

pytestmark = pytest.mark.postgres_only


def _race(app, account_id, attempt) -> list[bool]:
    """Two requests each read the account, wait until both have, then try ``attempt``; what each got."""
    results: list[bool] = []
    both_read = threading.Barrier(2)

    def request() -> None:
        with app.test_request_context("/"):
            try:
                account = db.session.get(Account, account_id)
                authenticator = two_step.authenticator_of(account)
                both_read.wait(timeout=10)  # both have read the state before either writes
                results.append(attempt(account, authenticator))
                db.session.commit()
            finally:
                db.session.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def _two_step_account(app) -> tuple[object, str, list[str]]:
    with app.test_request_context("/"):
        account = Account(email="ann@race.example", name="Ann", language="en")
        db.session.add(account)
        db.session.commit()
        secret, codes = turn_on(account)
        return account.id, secret, codes


def test_the_same_app_code_sent_twice_at_once_signs_in_once(concurrent_app):
    account_id, secret, _codes = _two_step_account(concurrent_app)
    current = code(secret)
    results = _race(concurrent_app, account_id, lambda _account, authenticator: totp.use_code(authenticator, current))
    assert results == [False, True]


def test_the_same_recovery_code_sent_twice_at_once_signs_in_once(concurrent_app):
    account_id, _secret, codes = _two_step_account(concurrent_app)
    paper = codes[0]
    results = _race(concurrent_app, account_id, lambda account, _authenticator: recovery_codes.use_code(account, paper))
    assert results == [False, True]
