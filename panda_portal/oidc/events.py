"""Access events: Panda tells a client that what a person may do there changed.

The message is a signed JWT (a Security Event Token, RFC 8417) about one ``sub``,
for one client (``aud``), POSTed to the client's back-channel URI as
``application/secevent+jwt`` (RFC 8935). It is not a logout: its ``typ`` is
``access-event+jwt`` and its event ``urn:panda:event:access-changed``. It carries no
list, only what the client needs to act at once and to order what it hears:

    {"orgs_version": 42, "withdrawn": ["<organization id>", ...]}

``orgs_version`` is the version of the person's list for that client when the event
was signed (``access.orgs_snapshot``); ``withdrawn`` names the organizations the
person lost (some) access to, or ``["*"]`` for everything (a disabled account). The
client drops those at once, then reads the whole list with ``POST /access``. The
design, and what happens when anything fails, is in ``docs/access-events.md``.

Like back-channel logout, the message is queued in the outbox in the transaction of
the change and delivered at once after its commit (``push``); the token is built and
signed at send time, so a retried message carries the version of that moment and a
fresh ``iat``/``exp``/``jti``.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable
from typing import Any

import requests
from flask import current_app
from sqlalchemy import select

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.oidc import keys, push
from panda_portal.oidc.access import orgs_snapshot
from panda_portal.oidc.models import OidcClient
from panda_portal.oidc.services import get_client
from panda_portal.outbox.services import outbox

ACCESS_EVENT = "access_event"  # the outbox kind
ACCESS_EVENT_TYPE = "access-event+jwt"  # the JWT's typ header
ACCESS_CHANGED_EVENT = "urn:panda:event:access-changed"
SECEVENT_MEDIA_TYPE = "application/secevent+jwt"
EVERYTHING = "*"


class AccessEventRefused(Exception):
    """The client did not accept the access event (retried later by the outbox)."""


def _post_event(client: OidcClient, token: str, refused: type[Exception], what: str) -> None:
    """POST a signed event to ``client``'s back-channel URI (RFC 8935); anything but 2xx raises ``refused``."""
    uri = client.backchannel_logout_uri
    if not uri:
        raise refused(f"{client.client_id} has no back-channel URI for {what}")
    response = requests.post(
        uri,
        data=token.encode(),
        headers={"Content-Type": SECEVENT_MEDIA_TYPE, "Accept": "application/json"},
        timeout=push.delivery_timeout(),
        allow_redirects=False,
    )
    if not 200 <= response.status_code < 300:
        raise refused(f"{client.client_id}: {uri} answered {response.status_code} to {what}")


def _listening_clients() -> list[OidcClient]:
    return list(
        db.session.execute(
            select(OidcClient).where(OidcClient.backchannel_logout_uri.is_not(None)).order_by(OidcClient.client_id)
        ).scalars()
    )


def queue_access_event(account: Account, *, withdrawn: Iterable[str | uuid.UUID] = ()) -> int:
    """Tell every client with a back-channel URI that ``account``'s access changed; returns how many.

    ``withdrawn``: organization ids the person lost (some) access to, or ``EVERYTHING``.
    Several changes in one transaction make one message per client.
    """
    lost = {str(org_id) for org_id in withdrawn}
    if EVERYTHING in lost:
        lost = {EVERYTHING}
    sub = str(account.id)
    pending = {
        (row.payload.get("client_id"), row.payload.get("sub")): row
        for row in push.scheduled_rows()
        if row.kind == ACCESS_EVENT
    }
    clients = _listening_clients()
    for client in clients:
        row = pending.get((client.client_id, sub))
        if row is not None:
            merged = set(row.payload.get("withdrawn") or []) | lost
            row.payload = dict(row.payload, withdrawn=[EVERYTHING] if EVERYTHING in merged else sorted(merged))
            continue
        row = outbox.enqueue(ACCESS_EVENT, {"client_id": client.client_id, "sub": sub, "withdrawn": sorted(lost)})
        push.after_commit(row)
    return len(clients)


def access_event_claims(client: OidcClient, *, sub: str, version: int, withdrawn: list[str]) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": current_app.config["PANDA_ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + keys.LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(24),
        "sub": sub,
        "events": {ACCESS_CHANGED_EVENT: {"orgs_version": version, "withdrawn": withdrawn}},
    }


def deliver_access_event(payload: dict) -> None:
    """The outbox handler of ``access_event`` messages: sign the event now and POST it."""
    client = get_client(payload.get("client_id"))
    if client is None or not client.backchannel_logout_uri:
        return  # the client is gone or no longer listens
    try:
        account = db.session.get(Account, uuid.UUID(str(payload.get("sub"))))
    except ValueError:
        account = None
    if account is None:
        return  # the account is gone; the client's read answers 404 from now on
    snapshot = orgs_snapshot(account, client)
    claims = access_event_claims(
        client, sub=str(account.id), version=snapshot.version, withdrawn=list(payload.get("withdrawn") or [])
    )
    token = keys.sign(claims, typ=ACCESS_EVENT_TYPE)
    # The version, and a signing key created just now, must be stored before the client reads them.
    db.session.commit()
    _post_event(client, token, AccessEventRefused, "an access event")


# -- the person deleted their account: clients erase what they hold ----------------------------------
# Same transport as an access event (a ``secevent+jwt`` body to the back-channel URI, queued in the
# outbox, pushed after the commit, retried with back-off), its own ``typ`` and event, and no
# account to read at send time: the account is gone by then.
ACCOUNT_EVENT = "account_event"  # the outbox kind
ACCOUNT_EVENT_TYPE = "account-event+jwt"
ACCOUNT_DELETED_EVENT = "urn:panda:event:account-deleted"
# Panda asks a client for what it holds about a person (the person's data download).
PERSONAL_DATA_REQUEST_TYPE = "personal-data-request+jwt"
PERSONAL_DATA_MEDIA_TYPE = "application/jwt"
PERSONAL_DATA_MAX_BYTES = 50 * 1024 * 1024


class AccountEventRefused(Exception):
    """The client did not accept the account event (retried later by the outbox)."""


def queue_account_deleted_event(account: Account) -> int:
    """Tell every client with a back-channel URI that ``account`` was deleted; returns how many."""
    clients = _listening_clients()
    for client in clients:
        row = outbox.enqueue(
            ACCOUNT_EVENT, {"client_id": client.client_id, "sub": str(account.id), "event": ACCOUNT_DELETED_EVENT}
        )
        push.after_commit(row)
    return len(clients)


def account_event_claims(client: OidcClient, *, sub: str, event: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": current_app.config["PANDA_ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + keys.LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(24),
        "sub": sub,
        "events": {event: {}},
    }


def deliver_account_event(payload: dict) -> None:
    """The outbox handler of ``account_event`` messages: sign the event now and POST it."""
    client = get_client(payload.get("client_id"))
    if client is None or not client.backchannel_logout_uri:
        return
    token = keys.sign(
        account_event_claims(client, sub=str(payload.get("sub")), event=str(payload.get("event"))),
        typ=ACCOUNT_EVENT_TYPE,
    )
    db.session.commit()  # a signing key created just now must be stored before the client reads the JWKS
    _post_event(client, token, AccountEventRefused, "an account event")


def account_deleting(_sender: Any, account: Account | None = None, **_: Any) -> None:
    """``accounts.signals.account_deleting``: end the person's grants, log them out everywhere, queue the event."""
    from panda_portal.oidc.services import notify_account_sessions_ended

    if account is not None:
        notify_account_sessions_ended(account)
        queue_account_deleted_event(account)


def personal_data_request_claims(client: OidcClient, *, sub: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": current_app.config["PANDA_ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + keys.LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(24),
        "sub": sub,
    }


def personal_data_requested(_sender: Any, account: Account | None = None, **_: Any) -> dict[str, Any]:
    """``accounts.signals.personal_data_requested``: what each client holds about the person.

    A signed, audience-bound request (``typ`` ``personal-data-request+jwt``, ``aud`` the
    client, two minutes) is POSTed to each client's back-channel URI; a client that does
    not answer within ``BACKCHANNEL_LOGOUT_TIMEOUT`` seconds, or answers other than 200
    with JSON, is named in the archive as unavailable.
    """
    parts: dict[str, Any] = {}
    if account is None:
        return parts
    clients = _listening_clients()
    tokens = {
        client.client_id: keys.sign(
            personal_data_request_claims(client, sub=str(account.id)), typ=PERSONAL_DATA_REQUEST_TYPE
        )
        for client in clients
    }
    db.session.commit()  # a signing key created just now must be stored before a client reads the JWKS
    for client in clients:
        name = f"applications/{client.client_id}.json"
        try:
            response = requests.post(
                str(client.backchannel_logout_uri),
                data=tokens[client.client_id].encode(),
                headers={"Content-Type": PERSONAL_DATA_MEDIA_TYPE, "Accept": "application/json"},
                timeout=float(current_app.config["BACKCHANNEL_LOGOUT_TIMEOUT"]),
                allow_redirects=False,
            )
            if response.status_code != 200 or len(response.content) > PERSONAL_DATA_MAX_BYTES:
                raise ValueError(f"answered {response.status_code}")
            parts[name] = {"application": client.client_id, "available": True, "data": response.json()}
        except (requests.RequestException, ValueError) as exc:
            parts[name] = {"application": client.client_id, "available": False, "reason": type(exc).__name__}
    return parts
