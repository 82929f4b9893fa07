"""Between the password and the second factor: a signed, short-lived cookie, never a session.

After the right password, a person with two-step verification gets no session:
their browser gets a cookie, signed with ``SECRET_KEY``, naming the account and a
mark of its password, valid for ``PENDING_SECONDS``, sent only to ``/sign-in…``
(``HttpOnly``, ``SameSite=Lax``, ``Secure`` behind TLS). Only the second step reads
it; every other page sees a visitor who is not signed in. A new password makes the
cookie worthless (the mark no longer matches), as does a disabled account.

"Remember this browser" is a second signed cookie, carrying a token whose hash the
database keeps (``services.remembered``): forgetting the row forgets the browser.

Every way of signing in (the password alone, the password and a second factor, a passkey
alone) ends in ``finish_sign_in``: the same fresh session, the browser's entry in the list of
sessions, the new-browser mail, the cookies of the unfinished sign-in cleared.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from flask import current_app, redirect, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from panda_portal.accounts.models import Account
from panda_portal.accounts.session import sign_in as start_session
from panda_portal.extensions import db
from panda_portal.mfa.services import remembered, two_step
from shared.web import safe_next

PENDING_COOKIE = "panda_two_step"
PENDING_SECONDS = 10 * 60
REMEMBER_COOKIE = "panda_remembered_browser"
PASSKEY_COOKIE = "panda_passkey_challenge"
REMEMBER_SECONDS = remembered.REMEMBER_DAYS * 24 * 60 * 60
COOKIE_PATH = "/sign-in"


@dataclass(frozen=True)
class PendingSignIn:
    account: Account


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_mark(account: Account) -> str:
    return hashlib.sha256(f"{account.id}:{account.password_hash or ''}".encode()).hexdigest()[:32]


def _set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
    )


def _delete_cookie(response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, httponly=True, secure=bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    )


def continue_sign_in(account: Account, *, next_path: str) -> Response | None:
    """After the right password: ``None`` when the sign-in may finish now (no second factor, or a
    remembered browser), else the way to the second step (and no session)."""
    if not two_step.is_on(account) or _remembered_here(account):
        return None
    response = redirect(url_for("mfa.second_step", next=next_path) if next_path else url_for("mfa.second_step"))
    token = _serializer("mfa-pending").dumps({"account": str(account.id), "mark": _password_mark(account)})
    _set_cookie(response, PENDING_COOKIE, token, PENDING_SECONDS)
    return response


def finish_sign_in(account: Account, *, methods: tuple[str, ...], next_path: str, remember: bool = False) -> Response:
    """The one step after which a person is signed in, whichever way they proved who they are.

    Starts a fresh session (``accounts.session.sign_in``: the ``amr``, the browser and address
    shown on the sessions page, the known browser and the mail announcing a new one), clears
    what an unfinished sign-in left in this browser, optionally remembers the browser for the
    second step, and sends the person on to ``next_path``. The caller commits.
    """
    start_session(account, methods=methods)
    response = redirect(safe_next(next_path, url_for("organizations.home")))
    end_pending(response)
    if remember:
        remember_here(response, account)
    return response


def pending_account_key() -> str:
    """The account waiting for its second step in this browser, for the rate limiter (no database read)."""
    data = _pending_data()
    return str(data.get("account", "")) if data else ""


def _pending_data() -> dict | None:
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = _serializer("mfa-pending").loads(raw, max_age=PENDING_SECONDS)
    except BadData:
        return None
    return data if isinstance(data, dict) else None


def pending_sign_in() -> PendingSignIn | None:
    """The sign-in waiting for its second step in this browser, if it is still valid."""
    data = _pending_data()
    if data is None:
        return None
    try:
        account = db.session.get(Account, uuid.UUID(str(data.get("account"))))
    except ValueError:
        return None
    if account is None or not account.is_active or data.get("mark") != _password_mark(account):
        return None
    return PendingSignIn(account)


def end_pending(response: Response) -> None:
    _delete_cookie(response, PENDING_COOKIE)
    _delete_cookie(response, PASSKEY_COOKIE)


def remember_here(response: Response, account: Account) -> None:
    """Let this browser skip the second step of ``account`` for 30 days."""
    token = remembered.remember(account, user_agent=request.user_agent.string)
    value = _serializer("mfa-remember").dumps({"account": str(account.id), "token": token})
    _set_cookie(response, REMEMBER_COOKIE, value, REMEMBER_SECONDS)


def forget_here(response: Response) -> None:
    _delete_cookie(response, REMEMBER_COOKIE)


def _remembered_here(account: Account) -> bool:
    raw = request.cookies.get(REMEMBER_COOKIE)
    if not raw or len(raw) > 1000:
        return False
    try:
        data = _serializer("mfa-remember").loads(raw, max_age=REMEMBER_SECONDS)
    except BadData:
        return False
    if not isinstance(data, dict) or data.get("account") != str(account.id) or not isinstance(data.get("token"), str):
        return False
    return remembered.recognises(account, data["token"])


def keep_passkey_challenge(response: Response, account: Account, challenge: str) -> None:
    """The challenge of the passkey ceremony on the second-step page, for the post that answers it."""
    value = _serializer("mfa-passkey").dumps({"account": str(account.id), "challenge": challenge})
    _set_cookie(response, PASSKEY_COOKIE, value, PENDING_SECONDS)


def passkey_challenge(account: Account) -> str | None:
    """The challenge this browser was given for ``account``'s passkey, or ``None``."""
    raw = request.cookies.get(PASSKEY_COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = _serializer("mfa-passkey").loads(raw, max_age=PENDING_SECONDS)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("account") != str(account.id):
        return None
    challenge = data.get("challenge")
    return challenge if isinstance(challenge, str) else None
