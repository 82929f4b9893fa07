"""Plain helpers and constants of the Panda tests (the fixtures that use them are in ``conftest.py``).

PASSWORD                              # the password of every account ``make_account`` makes
sign_in_client(client, account)       # a browser signed in as ``account`` (a fresh session)
switch_to(client, login_as, account)  # the same, with the test's rows committed first
"""

from __future__ import annotations

import functools
import time
import uuid

from flask import g

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "purple elephants dance at noon"
SUPPORT = "support_community"


def valid_enterprise_number(seed: int) -> str:
    """A valid ten-digit enterprise number, different for each seed."""
    stem = f"0{200000 + seed * 7919 % 7000000:07d}"
    return f"{stem}{97 - int(stem) % 97:02d}"


@functools.cache
def password_hash(password: str) -> str:
    """Panda's hash of ``password``, computed once per test run (argon2 is slow on purpose)."""
    from panda_portal.accounts.passwords import hash_password

    return hash_password(password)


def sign_in_client(client, account) -> None:
    """Make ``client`` a browser signed in as ``account`` (a fresh server-side session)."""
    with client.session_transaction() as session:
        session["account_id"] = str(account.id)
        session["auth_time"] = int(time.time())
        session["sid"] = uuid.uuid4().hex


def forget_request_state() -> None:
    """Requests of one test share the app context: nothing cached for the last one may carry over."""
    for cached in ("current_account", "org_context", "_flask_babel"):
        g.pop(cached, None)


def switch_to(client, login_as, account) -> None:
    """Sign ``client`` in as ``account``, with the test's rows committed and nothing cached from before.

    (The test's rows are committed to a savepoint of the test's transaction, so a view that
    rolls back after a refusal does not take them along.)
    """
    from panda_portal.extensions import db

    db.session.commit()
    login_as(client, account)
    forget_request_state()
