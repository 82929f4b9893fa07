"""Invariants two simultaneous requests could break, tested with real concurrent transactions."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from panda_portal.accounts.models import Account, AccountToken
from panda_portal.accounts.services.errors import AccountError
from panda_portal.accounts.services.links import digest
from panda_portal.accounts.services.passwords import reset_password
from panda_portal.accounts.services.registration import register
from panda_portal.extensions import db
from shared.database import utcnow

pytestmark = pytest.mark.postgres_only


def _in_own_transaction(app, work, results, barrier):
    """Run ``work`` in a request of its own, on its own connection, after ``barrier``."""
    with app.test_request_context("/"):
        try:
            barrier.wait(timeout=10)
            work()
            db.session.commit()
            results.append("ok")
        except AccountError as error:
            db.session.rollback()
            results.append(type(error).__name__)
        finally:
            db.session.close()


def _race(app, work) -> list[str]:
    results: list[str] = []
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_in_own_transaction, args=(app, work, results, barrier)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def test_a_link_used_twice_at_the_same_moment_works_once(concurrent_app):
    token = "a-token-for-the-race-" + "x" * 20
    with concurrent_app.app_context():
        account = Account(email="ann@race.example", name="Ann", language="en")
        db.session.add(account)
        db.session.flush()
        db.session.add(
            AccountToken(
                account_id=account.id,
                purpose=AccountToken.RESET,
                token_hash=digest(token),
                expires_at=utcnow() + dt.timedelta(hours=1),
            )
        )
        db.session.commit()

    results = _race(concurrent_app, lambda: reset_password(token, "a fresh and long password"))
    assert results == ["InvalidLinkError", "ok"]


def test_two_registrations_of_one_address_at_the_same_moment_make_one_account(concurrent_app):
    results = _race(concurrent_app, lambda: register("bob@race.example", "Bob", "correct horse battery staple", "en"))
    assert results == ["ok", "ok"]  # neither request tells the other apart
    with concurrent_app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Account).where(Account.email == "bob@race.example"))
        assert count == 1
