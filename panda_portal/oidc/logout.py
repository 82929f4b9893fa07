"""Ending sessions: RP-initiated logout, and back-channel logout to clients.

Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a Panda
session ends, ``services.queue_backchannel_logout`` puts one outbox message per
client with a ``backchannel_logout_uri``. The outbox worker calls
``deliver_backchannel_logout``, which builds and signs the logout token at send
time (so a retried message carries a fresh ``iat``/``exp``) and POSTs it; any
answer other than 2xx raises, and the outbox retries with back-off. The message is
first delivered at once, by the request that ended the session (``push``).
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

import requests
from flask import current_app

from panda_portal.accounts.models import Account, WebSession
from panda_portal.accounts.services.sign_in import announce_sign_out
from panda_portal.accounts.session import current_account, session_sid, sign_out
from panda_portal.extensions import db
from panda_portal.oidc import keys, push
from panda_portal.oidc.models import OidcClient
from panda_portal.oidc.services import get_client, notify_account_sessions_ended
from shared.sessions import end_sessions

LOGOUT_TOKEN_TYPE = "logout+jwt"
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class BackchannelLogoutRefused(Exception):
    """The client's back-channel endpoint did not accept the logout token (retried later)."""


def _account(sub: Any) -> Account | None:
    try:
        return db.session.get(Account, uuid.UUID(str(sub)))
    except (ValueError, TypeError):
        return None


def end_panda_session(id_token_claims: dict | None) -> None:
    """End the session a client asked to end.

    The browser's own Panda session ends when no ID token was given (the person
    confirmed) or when the ID token is about the person signed in here. The
    session the ID token names (its ``sid``) ends as well, even if it is not this
    browser's. Ending a session revokes its grants and tells every client.
    """
    account = current_account()
    current_sid = session_sid()
    hinted = _account(id_token_claims.get("sub")) if id_token_claims else None
    hinted_sid = id_token_claims.get("sid") if id_token_claims else None
    if account is not None and (id_token_claims is None or (hinted is not None and hinted.id == account.id)):
        announce_sign_out(account, sid=current_sid)
        sign_out()
        if hinted_sid == current_sid:
            return
    if hinted is not None and isinstance(hinted_sid, str) and hinted_sid:
        end_sessions(db, WebSession, sid=hinted_sid)
        notify_account_sessions_ended(hinted, sid=hinted_sid)


def logout_token_claims(client: OidcClient, *, sub: str | None, sid: str | None) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": current_app.config["PANDA_ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + keys.LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(24),
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    if sub:
        claims["sub"] = sub
    if sid:
        claims["sid"] = sid
    return claims


def deliver_backchannel_logout(payload: dict) -> None:
    """The outbox handler of ``backchannel_logout`` messages."""
    client = get_client(payload.get("client_id"))
    if client is None or not client.backchannel_logout_uri:
        return  # the client is gone or no longer listens: nobody to tell
    token = keys.sign(
        logout_token_claims(client, sub=payload.get("sub"), sid=payload.get("sid")), typ=LOGOUT_TOKEN_TYPE
    )
    # A signing key created just now must be stored before a client fetches the JWKS.
    db.session.commit()
    response = requests.post(
        client.backchannel_logout_uri,
        data={"logout_token": token},
        timeout=push.delivery_timeout(),
        allow_redirects=False,
    )
    if not 200 <= response.status_code < 300:
        raise BackchannelLogoutRefused(
            f"{client.client_id}: {client.backchannel_logout_uri} answered {response.status_code}"
        )
