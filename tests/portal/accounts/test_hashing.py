"""Password hashing is bounded per process and never runs inside a database transaction
(``accounts.passwords.hashing_pool``, ``accounts.services.hashing``)."""

from __future__ import annotations

import os
import select
import signal
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from panda_portal.accounts import passwords
from panda_portal.accounts.models import Account
from panda_portal.accounts.services.hashing import end_read_transaction
from panda_portal.accounts.services.sign_in import authenticate
from panda_portal.extensions import db
from tests.portal.accounts.helpers import link_token
from tests.portal.factories import NEW_PASSWORD, PASSWORD, password_hash, sign_in_client

WRONG = "not the right password"


@pytest.fixture()
def hashes(monkeypatch):
    """Whether the request's database session had a transaction open, at every hash."""
    seen: list[bool] = []
    run = passwords.hashing_pool.run
    password_hash(PASSWORD)  # the factories' hash, made once per process: not one of the test's

    def watched(work, *args):
        seen.append(db.session.in_transaction())
        return run(work, *args)

    monkeypatch.setattr(passwords.hashing_pool, "run", watched)
    return seen


# -- bounded ---------------------------------------------------------------------------------
class _WatchedHasher:
    """Panda's hasher, noting the thread each computation runs on."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self.ran_on: set[str] = set()

    def hash(self, *args):
        self.ran_on.add(threading.current_thread().name)
        return self.hasher.hash(*args)

    def verify(self, *args):
        self.ran_on.add(threading.current_thread().name)
        return self.hasher.verify(*args)


def test_hashes_asked_for_by_many_request_threads_run_on_the_hashing_threads_only(monkeypatch):
    watched = _WatchedHasher(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", watched)
    stored = passwords.hash_password(PASSWORD)
    results: list[bool] = []
    callers = [
        threading.Thread(
            target=lambda: results.append(passwords.verify_password(stored, PASSWORD)), name=f"request-{n}"
        )
        for n in range(8)
    ]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=60)
    assert results == [True] * 8
    # A thread runs one hash at a time: at most as many hashes at once as hashing threads.
    assert 1 <= len(watched.ran_on) <= passwords.HASHING_THREADS
    assert all(name.startswith("argon2") for name in watched.ran_on)


def test_a_forked_worker_hashes_on_threads_of_its_own():
    """Gunicorn forks its workers (after loading the app, with --preload): the parent's threads stay behind."""
    stored = passwords.hash_password(PASSWORD)  # the parent's hashing thread exists
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.write(writing, b"yes" if passwords.verify_password(stored, PASSWORD) else b"no")
        finally:
            os._exit(0)
    os.close(writing)
    try:
        ready, _, _ = select.select([reading], [], [], 60)
        answer = os.read(reading, 3) if ready else b"no answer: the child waits for a thread it does not have"
    finally:
        os.close(reading)
        if not ready:
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    assert answer == b"yes"


def test_the_hashes_are_still_argon2id_with_the_owasp_parameters_and_still_checked():
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(stored, PASSWORD) and not passwords.verify_password(stored, WRONG)


def test_a_failure_while_hashing_reaches_the_caller(monkeypatch):
    class Broken:
        def hash(self, *_args):
            raise MemoryError("no memory for argon2")

    monkeypatch.setattr(passwords, "hasher", Broken())
    with pytest.raises(MemoryError):
        passwords.hash_password(PASSWORD)
    monkeypatch.undo()
    assert passwords.verify_password(passwords.hash_password(PASSWORD), PASSWORD)  # the pool still works


# -- outside transactions --------------------------------------------------------------------
# On SQLite every transaction of a request holds the write lock (BEGIN IMMEDIATE): a hash
# inside one would make every other worker's sign-in wait for it.
def test_signing_in_hashes_with_no_transaction_open(panda_client, make_account, sign_in, hashes):
    make_account(email="ann@example.org")
    assert sign_in(panda_client, "ann@example.org", WRONG).status_code == 200
    assert sign_in(panda_client, "nobody@example.org", WRONG).status_code == 200
    assert sign_in(panda_client, "ann@example.org").status_code == 302
    assert hashes and not any(hashes)


def test_signing_in_again_while_signed_in_hashes_with_no_transaction_open(panda_client, make_account, sign_in, hashes):
    account = make_account(email="ann@example.org", language="nl")
    sign_in_client(panda_client, account)  # the account is read for the page's language first
    assert sign_in(panda_client, "ann@example.org").status_code == 302
    assert hashes and not any(hashes)


def test_upgrading_an_old_hash_at_sign_in_hashes_with_no_transaction_open(
    panda_client, panda_db, make_account, sign_in, hashes
):
    account = make_account(email="ann@example.org")
    account.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    panda_db.session.commit()
    assert sign_in(panda_client, "ann@example.org").status_code == 302
    assert len(hashes) == 2 and not any(hashes)  # the check, then the new hash
    panda_db.session.refresh(account)
    assert account.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_registering_hashes_with_no_transaction_open(panda_client, hashes):
    data = {"email": "ann@example.org", "name": "Ann", "password": PASSWORD, "language": "en"}
    assert panda_client.post_form("/register", data, page="/register").status_code == 200
    assert hashes and not any(hashes)


def test_changing_the_password_hashes_with_no_transaction_open(panda_client, make_account, hashes):
    sign_in_client(panda_client, make_account(email="ann@example.org"))
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert panda_client.post_form("/account/password", data, page="/account/password").status_code == 302
    assert len(hashes) == 2 and not any(hashes)


def test_resetting_the_password_hashes_with_no_transaction_open(panda_client, make_account, deliver, hashes):
    make_account(email="ann@example.org")
    panda_client.post_form("/forgot-password", {"email": "ann@example.org"}, page="/forgot-password")
    link = "/reset-password/" + link_token(deliver("ann@example.org"), "/reset-password/")
    assert panda_client.post_form(link, {"password": NEW_PASSWORD}, page=link).status_code == 302
    assert hashes and not any(hashes)


def test_panda_users_add_hashes_with_no_transaction_open(panda, hashes):
    result = panda.test_cli_runner().invoke(
        args=["users", "add", "ann@example.org", "--name", "Ann", "--password-stdin"], input=PASSWORD
    )
    assert result.exit_code == 0, result.output
    assert hashes and not any(hashes)


@pytest.mark.usefixtures("in_request")
def test_a_password_reset_while_the_old_one_was_being_checked_no_longer_opens_the_account(
    panda_db, make_account, monkeypatch
):
    account = make_account(email="ann@example.org")
    replaced = passwords.hash_password(NEW_PASSWORD)
    run = passwords.hashing_pool.run

    def reset_meanwhile(work, *args):
        result = run(work, *args)
        # Another request resets the password while this one hashes (the loaded account does not see it).
        panda_db.session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(password_hash=replaced)
            .execution_options(synchronize_session=False)
        )
        panda_db.session.commit()
        return result

    monkeypatch.setattr(passwords.hashing_pool, "run", reset_meanwhile)
    assert authenticate("ann@example.org", PASSWORD) is None


@pytest.mark.usefixtures("in_request")
def test_a_transaction_that_has_written_is_not_ended_before_a_hash(panda_db, make_account):
    """Ending it would commit the caller's work halfway: an operator's batch keeps its transaction."""
    account = make_account(email="ann@example.org", name="Ann")
    account.name = "Ann Peeters"
    panda_db.session.flush()
    end_read_transaction()
    assert panda_db.session.in_transaction()
    panda_db.session.rollback()
    panda_db.session.refresh(account)
    assert account.name == "Ann"
