"""The SQL statements of a password sign-in: the account read, the session written, nothing more.

The password is checked between two transactions (``services.hashing``): the first reads
the account, the second reads it again (it may have changed meanwhile) and stores the
browser's new session. The speed of a sign-in is measured in ``bench/sign_in.py``; this
keeps the statements it runs from growing, without timing anything.
"""

from __future__ import annotations

from tests.portal.factories import PASSWORD
from tests.portal.oidc.helpers import counted_statements

# The browser's session (the sign-in page's, holding the CSRF token); the account by its
# address; (the password is checked, outside any transaction); the account again, as it is
# now; then ``shared.sessions`` replaces the session by a new one (no session fixation):
# the old one deleted, the new one stored (its identifier is new: nothing to look up).
SIGN_IN = [
    "SELECT web_sessions",
    "SELECT accounts",
    "SELECT accounts",
    "SELECT mfa_totp_authenticators",  # two-step verification on? (no: the session starts now)
    "INSERT known_browsers",  # this browser, remembered (or its last use moved)
    "SELECT known_browsers",  # new to the account: has it signed in elsewhere before? (no: no mail)
    "DELETE web_sessions",
    "INSERT web_sessions",
]
# A new visitor's sign-in page: no session to read; the one holding the CSRF token stored.
SIGN_IN_PAGE_FIRST_VISIT = ["INSERT web_sessions"]
# The page again in the same browser: the session read; its expiry was moved a moment ago and
# nothing in it changed, so nothing is written.
SIGN_IN_PAGE_AGAIN = ["SELECT web_sessions"]


def _engine():
    from panda_portal.extensions import db

    return db.engine


def _sign_in_post(client, email: str, password: str):
    token = client.csrf_token("/sign-in")
    with counted_statements(_engine()) as shapes:
        response = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
    return response, shapes


def test_a_sign_in_reads_the_account_twice_around_the_password_check_and_stores_the_session(
    panda, panda_db, panda_client, make_account
):
    account = make_account(email="ann@example.org")
    panda_db.session.commit()

    response, shapes = _sign_in_post(panda_client, account.email, PASSWORD)

    assert response.status_code == 302
    assert shapes == SIGN_IN


def test_a_wrong_password_reads_the_session_and_the_account_and_writes_nothing(
    panda, panda_db, panda_client, make_account
):
    account = make_account(email="ann@example.org")
    panda_db.session.commit()

    response, shapes = _sign_in_post(panda_client, account.email, "not the password at all, sorry")

    assert response.status_code == 200
    assert shapes == ["SELECT web_sessions", "SELECT accounts"]


def test_the_sign_in_page_stores_a_new_visitors_session_once_and_then_only_reads_it(panda, panda_client):
    with counted_statements(_engine()) as first:
        assert panda_client.get("/sign-in").status_code == 200
    with counted_statements(_engine()) as again:
        assert panda_client.get("/sign-in").status_code == 200

    assert first == SIGN_IN_PAGE_FIRST_VISIT
    assert again == SIGN_IN_PAGE_AGAIN
