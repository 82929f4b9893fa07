"""The browsers a person is signed in with: list them, sign one or all others out, announce new ones.

Sessions are the server-side rows of ``shared.sessions`` (``WebSession``). At sign-in
(``accounts.session.sign_in``) the session keeps the browser's user agent and address;
the list shows the device and browser (``ua-parser``), the country of the address
(``iptocc``: the Regional Internet Registries' delegations, bundled in the package, no
network call) and the last use (the row's ``updated_at``, refreshed at most every five
minutes). Signing a session out deletes its row and announces ``signed_out`` with its
OpenID ``sid``: the OpenID Provider ends the grants of that session and tells every
client (back-channel logout), as a sign-out in that browser would.

A browser is recognised by a long-lived random cookie (``panda_browser``), whose SHA-256
is kept per account (``KnownBrowser``). A sign-in from a browser not known for the
account is announced by mail, except the account's very first sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from dataclasses import dataclass

from babel import Locale
from flask import after_this_request, current_app, request
from flask_babel import gettext as _
from iptocc import country_code
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from ua_parser import parse
from werkzeug.wrappers import Response

from panda_portal.accounts import signals
from panda_portal.accounts.emails import security as mails
from panda_portal.accounts.models import Account, KnownBrowser, WebSession
from panda_portal.accounts.services.errors import AccountError
from panda_portal.accounts.services.history import record_change
from panda_portal.extensions import db
from shared.database import utcnow
from shared.sessions import stored_session_id

BROWSER_COOKIE = "panda_browser"
BROWSER_COOKIE_SECONDS = 400 * 24 * 60 * 60  # the longest a browser keeps a cookie (RFC 6265bis)
USER_AGENT_KEY = "ua"
ADDRESS_KEY = "ip"


class SessionNotFoundError(AccountError):
    def __init__(self) -> None:
        super().__init__(_("This session has already ended."))


@dataclass(frozen=True)
class SignedInBrowser:
    handle: str  # names the session on the page without revealing its cookie or its row's key
    device: str
    browser: str
    place: str
    address: str
    signed_in_at: dt.datetime
    last_used_at: dt.datetime
    current: bool


def _handle(row_id: str) -> str:
    return hashlib.sha256(f"session-handle:{row_id}".encode()).hexdigest()[:32]


def client_address() -> str:
    """The browser's address as the trusted proxies give it ('' outside a request)."""
    return (request.remote_addr or "")[:64] if request else ""


def describe_agent(user_agent: str | None) -> tuple[str, str]:
    """The device and the browser a user agent names, in words ("iPhone", "Mobile Safari 17 on iOS 17")."""
    if not user_agent:
        return _("Unknown device"), _("Unknown browser")
    result = parse(user_agent[:1000])
    device = result.device.family if result.device and result.device.family != "Other" else ""
    agent = result.user_agent
    browser = ""
    if agent and agent.family != "Other":
        browser = f"{agent.family} {agent.major}" if agent.major else agent.family
    os = result.os
    system = ""
    if os and os.family != "Other":
        system = f"{os.family} {os.major}" if os.major else os.family
    if not device:
        device = system or _("Unknown device")
    if browser and system:
        browser = _("%(browser)s on %(system)s", browser=browser, system=system)
    return device, browser or _("Unknown browser")


def describe_place(address: str | None, language: str) -> str:
    """The country of ``address`` in ``language`` ("Belgium", "België"), or what kind of address it is."""
    if not address:
        return _("Unknown place")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return _("Unknown place")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_private or ip.is_loopback or ip.is_link_local:
        return _("Local network")
    code = country_code(str(ip))
    if not code:
        return _("Unknown place")
    territories = Locale.parse(language).territories
    return str(territories.get(code.upper(), code.upper()))


def _current_row_id(current_token: str | None) -> str | None:
    return stored_session_id(current_token) if current_token else None


def _rows(account: Account) -> list[WebSession]:
    return list(
        db.session.execute(
            select(WebSession)
            .where(WebSession.subject == str(account.id), WebSession.expires_at > utcnow())
            .order_by(WebSession.updated_at.desc(), WebSession.id)
        ).scalars()
    )


def signed_in_browsers(account: Account, *, current_token: str | None, language: str) -> list[SignedInBrowser]:
    """The person's sessions, this browser's first, then by last use."""
    current_id = _current_row_id(current_token)
    browsers = []
    for row in _rows(account):
        data = row.data or {}
        device, browser = describe_agent(data.get(USER_AGENT_KEY))
        address = str(data.get(ADDRESS_KEY) or "")
        browsers.append(
            SignedInBrowser(
                handle=_handle(row.id),
                device=device,
                browser=browser,
                place=describe_place(address, language),
                address=address,
                signed_in_at=row.created_at,
                last_used_at=row.updated_at,
                current=row.id == current_id,
            )
        )
    return sorted(browsers, key=lambda item: not item.current)


def _end(account: Account, row: WebSession) -> None:
    sid = (row.data or {}).get("sid") or row.sid
    if sid:
        # The OpenID Provider ends the grants of that session and tells every client (a session
        # without an OpenID session id has none: announcing it would end every grant of the person).
        signals.announce(signals.signed_out, account=account, sid=sid)
    db.session.execute(delete(WebSession).where(WebSession.id == row.id))


def sign_out_session(account: Account, handle: str, *, current_token: str | None, actor: Account) -> None:
    """Sign one of the person's other browsers out (``SessionNotFoundError`` when it ended already)."""
    current_id = _current_row_id(current_token)
    row = next((row for row in _rows(account) if _handle(row.id) == handle and row.id != current_id), None)
    if row is None:
        raise SessionNotFoundError()
    device, browser = describe_agent((row.data or {}).get(USER_AGENT_KEY))
    _end(account, row)
    record_change("session_ended", account, actor=actor, device=device, browser=browser)


def sign_out_other_sessions(account: Account, *, current_token: str | None, actor: Account) -> int:
    """Sign every browser of the person out except this one; returns how many."""
    current_id = _current_row_id(current_token)
    ended = 0
    for row in _rows(account):
        if row.id != current_id:
            _end(account, row)
            ended += 1
    if ended:
        record_change("other_sessions_ended", account, actor=actor, sessions=ended)
    return ended


# -- new browsers --------------------------------------------------------------------------------
def _browser_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def note_sign_in(account: Account) -> bool:
    """A sign-in of ``account`` in this request's browser finishes: remember the browser, and mail the
    person when it is new to the account (not on their first sign-in ever). Returns whether it was new."""
    token = request.cookies.get(BROWSER_COOKIE, "")
    if not token or len(token) > 128:
        token = secrets.token_urlsafe(32)
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # One statement for a browser seen before: its row's last use moves, its first sighting stays.
    statement = insert(KnownBrowser).values(
        account_id=account.id, browser_hash=_browser_hash(token), first_seen_at=now, last_seen_at=now
    )
    first_seen = db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["account_id", "browser_hash"], set_={"last_seen_at": statement.excluded.last_seen_at}
        ).returning(KnownBrowser.first_seen_at)
    ).scalar_one()
    is_new = first_seen == now and (
        db.session.execute(
            select(KnownBrowser.id)
            .where(KnownBrowser.account_id == account.id, KnownBrowser.browser_hash != _browser_hash(token))
            .limit(1)
        ).first()
        is not None  # the account's first sign-in ever is not announced
    )
    if is_new:
        user_agent = request.headers.get("User-Agent", "")
        mails.send_new_browser(account, user_agent=user_agent, address=client_address(), when=now)
        record_change("new_browser_signed_in", account, actor=account, address=client_address())

    @after_this_request
    def _keep_cookie(response: Response) -> Response:
        response.set_cookie(
            BROWSER_COOKIE,
            token,
            max_age=BROWSER_COOKIE_SECONDS,
            httponly=True,
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            samesite="Lax",
        )
        return response

    return is_new
