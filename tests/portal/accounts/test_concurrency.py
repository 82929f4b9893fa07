"""Invariants two simultaneous requests could break, tested with real concurrent transactions."""
from __future__ import annotations

import threading

import pytest
from flask import g
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from panda_portal.accounts import services
from panda_portal.accounts.models import Account, AccountToken
from panda_portal.extensions import db
from panda_portal.outbox.models import OutboxMessage
from tests.support import is_postgres

pytestmark = pytest.mark.postgres_only


@pytest.fixture()
def real_engine(panda):
    if not is_postgres():
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): two real concurrent transactions")
    engine = db.state(panda).engine
    with Session(engine) as before:
        last_message = before.execute(select(func.coalesce(func.max(OutboxMessage.id), 0))).scalar_one()
    yield engine
    # These transactions were really committed: take everything they wrote away again.
    with Session(engine) as cleanup:
        cleanup.execute(delete(OutboxMessage).where(OutboxMessage.id > last_message))
        cleanup.execute(delete(AccountToken))
        cleanup.execute(delete(Account).where(Account.email.like("%@race.example")))
        cleanup.commit()


def _in_own_transaction(app, engine, work, results, barrier):
    """Run ``work`` in a request of its own, on its own connection, after ``barrier``."""
    with app.app_context(), app.test_request_context("/"):
        g._db_sessions = {db._extension_key: Session(bind=engine, expire_on_commit=False)}
        try:
            barrier.wait(timeout=10)
            work()
            db.session.commit()
            results.append("ok")
        except services.AccountError as error:
            db.session.rollback()
            results.append(type(error).__name__)
        finally:
            db.session.close()


def _race(app, engine, work) -> list[str]:
    results: list[str] = []
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_in_own_transaction, args=(app, engine, work, results, barrier))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def test_a_link_used_twice_at_the_same_moment_works_once(panda, real_engine):
    with Session(real_engine, expire_on_commit=False) as setup:
        account = Account(email="ann@race.example", name="Ann", language="en")
        setup.add(account)
        setup.flush()
        token = "a-token-for-the-race-" + "x" * 20
        setup.add(AccountToken(account_id=account.id, purpose=AccountToken.RESET,
                               token_hash=services._digest(token),
                               expires_at=services.utcnow() + services.dt.timedelta(hours=1)))
        setup.commit()

    results = _race(panda, real_engine, lambda: services.reset_password(token, "a fresh and long password"))
    assert results == ["InvalidLinkError", "ok"]


def test_two_registrations_of_one_address_at_the_same_moment_make_one_account(panda, real_engine):
    results = _race(panda, real_engine,
                    lambda: services.register("bob@race.example", "Bob", "correct horse battery staple", "en"))
    assert results == ["ok", "ok"]  # neither request tells the other apart
    with Session(real_engine) as check:
        assert check.query(Account).filter_by(email="bob@race.example").count() == 1
