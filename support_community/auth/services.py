"""Signing in through Panda, keeping the session's tokens and claims fresh, ending sessions.

Panda is the only source of who someone is and which organizations they may act
for. These functions talk to Panda (through ``provider.panda()``) and keep the
result in this browser's server-side session (``session.py``); they raise:

- ``SignInFailed`` for a callback that must be refused (shown with a "try again" link),
- ``SilentSignInDeclined`` when ``prompt=none`` found no session at Panda,
- ``SessionRevoked`` when Panda no longer renews the session (sign in again),
- ``ProviderUnavailable`` when Panda cannot be reached (the "unavailable" page, 503).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace

import requests
from authlib.integrations.base_client import OAuthError
from flask import current_app, session
from joserfc.errors import JoseError

from shared.logs import outgoing_headers
from shared.sessions import end_sessions
from shared.web import safe_next
from support_community.auth import access
from support_community.auth.models import PersonAccess, WebSession
from support_community.auth.provider import PandaProvider, ProviderUnavailable, panda
from support_community.auth.session import (
    SessionTokens,
    kept_claims,
    locked_session_row,
    session_subject,
    session_tokens,
    start_session,
    update_session,
)
from support_community.auth.tokens import (
    CLOCK_LEEWAY,
    LogoutTokenInvalid,
    claims_from_access_token,
    validate_logout_token,
)
from support_community.extensions import db

log = logging.getLogger(__name__)

# Answers to prompt=none that mean "Panda would have to ask the person something".
SILENT_FAILURES = frozenset(
    {"login_required", "interaction_required", "consent_required", "account_selection_required"}
)
# Renew a little before the access token runs out, so it is still valid when used.
REFRESH_MARGIN = 15
DEFAULT_ACCESS_TOKEN_LIFETIME = 300
# An ID token longer than this is not kept as logout hint: it would not fit in a URL.
ID_TOKEN_HINT_MAX_LENGTH = 4000


class SignInFailed(Exception):
    """The answer from Panda cannot be accepted; ``reason`` says why (for the page shown)."""

    def __init__(self, reason: str, *, next_url: str = "/", detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.next_url = next_url


class SilentSignInDeclined(Exception):
    """``prompt=none`` was answered with login_required (or similar): Panda must ask the person."""

    def __init__(self, *, next_url: str, interactive_fallback: bool) -> None:
        super().__init__("silent sign-in declined")
        self.next_url = next_url
        self.interactive_fallback = interactive_fallback


class SessionRevoked(Exception):
    """Panda refused to renew the session (revoked, expired, or the person was signed out)."""


class _AccessTokenRejected(Exception):
    pass


# -- signing in ----------------------------------------------------------------------------
def begin_sign_in(*, next_url: str, silent: bool = False, interactive_fallback: bool = True) -> str:
    """Panda's authorization URL for a new sign-in; remembers state, nonce and PKCE verifier.

    ``silent`` asks with ``prompt=none`` (a person still signed in to Panda comes
    straight back); ``interactive_fallback`` says whether Panda may then be asked
    again with its sign-in page or the person simply returns to ``next_url``.
    """
    provider = panda()
    client = provider.client
    extra = {"prompt": "none"} if silent else {}
    authorization = client.create_authorization_url(provider.redirect_uri, **extra)
    client.save_authorize_data(
        redirect_uri=provider.redirect_uri,
        next=safe_next(next_url, "/"),
        silent=silent,
        fallback=interactive_fallback,
        **authorization,
    )
    return authorization["url"]


def complete_sign_in(params: Mapping[str, str]) -> str:
    """Accept Panda's answer at the callback; returns where to send the person next."""
    provider = panda()
    client = provider.client
    state = params.get("state") or ""
    data = client.framework.get_state_data(session, state) if state else None
    if not data:
        raise SignInFailed("state")
    client.framework.clear_state_data(session, state)
    next_url = safe_next(data.get("next"), "/")
    _check_issuer_parameter(provider, params.get("iss"), next_url)

    error = params.get("error")
    if error:
        if data.get("silent") and error in SILENT_FAILURES:
            raise SilentSignInDeclined(next_url=next_url, interactive_fallback=bool(data.get("fallback")))
        raise SignInFailed(
            error if error in {"access_denied", "login_required"} else "provider_error",
            next_url=next_url,
            detail=params.get("error_description"),
        )
    code = params.get("code")
    if not code or not data.get("code_verifier") or not data.get("nonce"):
        raise SignInFailed("code", next_url=next_url)

    try:
        token = _token_request(
            provider,
            grant_type="authorization_code",
            code=code,
            redirect_uri=data["redirect_uri"],
            code_verifier=data["code_verifier"],
        )
    except OAuthError as exc:
        raise SignInFailed("token", next_url=next_url, detail=exc.error) from exc
    if not token.get("access_token") or not token.get("id_token"):
        raise SignInFailed("token", next_url=next_url, detail="no access or ID token")

    try:
        id_claims = client.parse_id_token(
            token,
            nonce=data["nonce"],
            leeway=CLOCK_LEEWAY,
            claims_options={"iss": {"essential": True, "value": provider.issuer}},
        )
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise SignInFailed("id_token", next_url=next_url, detail=type(exc).__name__) from exc
    claims = dict(id_claims or {})
    sub, sid = claims.get("sub"), claims.get("sid")
    # Both are stored in indexed columns of the session table (64 characters).
    if not isinstance(sub, str) or not 0 < len(sub) <= 64:
        raise SignInFailed("id_token", next_url=next_url, detail="unusable sub")
    if sid is not None and (not isinstance(sid, str) or not 0 < len(sid) <= 64):
        raise SignInFailed("id_token", next_url=next_url, detail="unusable sid")
    # Tokens carry the list's version, not the list: it comes from userinfo.
    if not isinstance(claims.get("orgs"), list):
        claims = _merge_claims(claims, _userinfo_or_refusal(provider, token["access_token"], sub, next_url))

    start_session(sub=sub, sid=sid, claims=claims, tokens=_tokens_from_response(token))
    keep_access(sub, claims)
    return next_url


def _check_issuer_parameter(provider: PandaProvider, iss: str | None, next_url: str) -> None:
    """RFC 9207: the authorization response names its issuer (defeats mix-up attacks).

    Authlib does not check it, so the community does.
    """
    if iss is None:
        if provider.sends_iss_parameter:
            raise SignInFailed("issuer", next_url=next_url, detail="iss parameter missing")
        return
    if iss != provider.issuer:
        raise SignInFailed("issuer", next_url=next_url, detail="iss parameter names another issuer")


def _userinfo_or_refusal(provider: PandaProvider, access_token: str, sub: str, next_url: str) -> dict:
    try:
        return _userinfo(provider, access_token, sub)
    except (_AccessTokenRejected, SessionRevoked) as exc:
        raise SignInFailed("token", next_url=next_url, detail="userinfo refused") from exc


# -- token endpoint ------------------------------------------------------------------------
def _token_request(provider: PandaProvider, **params: str) -> dict:
    """Call Panda's token endpoint through Authlib; ``OAuthError`` when Panda refuses."""
    try:
        return dict(provider.client.fetch_access_token(timeout=provider.timeout, headers=outgoing_headers(), **params))
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 500
        if status >= 500:
            raise ProviderUnavailable(f"token endpoint: HTTP {status}") from exc
        raise OAuthError(error="invalid_response", description=f"HTTP {status}") from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from exc
    except ValueError as exc:
        raise ProviderUnavailable("token endpoint: not a JSON object") from exc


def _tokens_from_response(token: Mapping, previous: SessionTokens | None = None) -> SessionTokens:
    expires_at = token.get("expires_at")
    if not isinstance(expires_at, (int, float)):
        expires_in = token.get("expires_in")
        lifetime = int(expires_in) if isinstance(expires_in, (int, float)) else DEFAULT_ACCESS_TOKEN_LIFETIME
        expires_at = time.time() + lifetime
    id_token = token.get("id_token") or (previous.id_token if previous else None)
    if id_token and len(id_token) > ID_TOKEN_HINT_MAX_LENGTH:
        id_token = None
    return SessionTokens(
        access_token=str(token["access_token"]),
        expires_at=int(expires_at),
        # Panda rotates refresh tokens: the old one is spent once the new one is issued.
        refresh_token=token.get("refresh_token") or (previous.refresh_token if previous else None),
        id_token=id_token,
    )


def _userinfo(provider: PandaProvider, access_token: str, sub: str) -> dict:
    url = provider.endpoint("userinfo_endpoint")
    if not url:
        raise SessionRevoked("Panda publishes no userinfo endpoint")
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json", **outgoing_headers()},
            timeout=provider.timeout,
        )
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"userinfo: {type(exc).__name__}") from exc
    if response.status_code in (401, 403):
        raise _AccessTokenRejected()
    if response.status_code >= 400:
        raise ProviderUnavailable(f"userinfo: HTTP {response.status_code}")
    try:
        claims = response.json()
    except ValueError as exc:
        raise ProviderUnavailable("userinfo: not JSON") from exc
    if not isinstance(claims, dict) or claims.get("sub") != sub:
        # Userinfo about someone else must never be mixed into this session.
        raise SessionRevoked("userinfo names another subject")
    return claims


def _merge_claims(previous: Mapping, fresh: Mapping) -> dict:
    """Fresh claims from Panda replace what access depends on; profile fields fill in."""
    merged = kept_claims(dict(previous))
    for name in ("name", "email", "locale"):
        if fresh.get(name) is not None:
            merged[name] = fresh[name]
    # Missing lists mean "none": access is never kept because Panda stopped mentioning it.
    merged["roles"] = fresh.get("roles") if isinstance(fresh.get("roles"), list) else []
    merged["orgs"] = fresh.get("orgs") if isinstance(fresh.get("orgs"), list) else []
    if "orgs_version" in fresh:
        merged["orgs_version"] = fresh["orgs_version"]
    return merged


def _orgs_version(claims: Mapping) -> int | None:
    version = claims.get("orgs_version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def keep_access(sub: str, claims: Mapping) -> None:
    """Keep the ``orgs`` and ``roles`` of fresh claims for the person, unless a newer list is kept (``auth.access``)."""
    access.store(
        sub,
        orgs=claims.get("orgs"),
        roles=claims.get("roles"),
        version=_orgs_version(claims),
        held_back=claims.get("held_back"),
    )


def _kept_version(sub: str) -> int | None:
    """The version of the list kept for ``sub``; None when there is none, or it is stale."""
    row = db.session.get(PersonAccess, sub)
    if row is None or row.stale_since is not None:
        return None
    return row.orgs_version


# -- keeping the session fresh -------------------------------------------------------------
def refresh_session(*, force: bool = False) -> bool:
    """Renew the access token with the refresh token when it has expired (or when forced).

    Re-reads the claims, so ``orgs`` follows what Panda says now. Returns whether
    anything was renewed. Raises ``SessionRevoked`` when Panda refuses (the caller
    ends the session) and ``ProviderUnavailable`` when Panda cannot be reached.
    """
    tokens = session_tokens()
    sub = session_subject()
    if tokens is None or sub is None:
        raise SessionRevoked("no tokens in the session")
    if not force and not tokens.expired(margin=REFRESH_MARGIN):
        return False
    provider = panda()
    # The stored session row is locked on a connection of its own. Whatever this request read
    # so far ends here (nothing was written yet): on SQLite an open transaction would hold the
    # database's single write lock and the lock below would wait for it in vain.
    db.session.rollback()
    kept_version = _kept_version(sub)
    db.session.rollback()
    fresh: dict | None = None
    with locked_session_row(db, WebSession) as stored:
        if stored is None:
            raise SessionRevoked("the session was ended meanwhile")
        latest = SessionTokens.from_dict(stored.get("tokens"))
        if (
            latest is not None
            and latest.refresh_token != tokens.refresh_token
            and not latest.expired(margin=REFRESH_MARGIN)
        ):
            # Another request of this browser renewed them while this one waited for the lock.
            update_session(tokens=latest, claims=stored.get("claims"))
            return True
        if not tokens.refresh_token:
            raise SessionRevoked("no refresh token")
        try:
            response = _token_request(provider, grant_type="refresh_token", refresh_token=tokens.refresh_token)
        except OAuthError as exc:
            raise SessionRevoked(f"refresh refused: {exc.error}") from exc
        if not response.get("access_token"):
            raise SessionRevoked("refresh answered without an access token")
        new_tokens = _tokens_from_response(response, previous=tokens)
        try:
            token_claims = claims_from_access_token(new_tokens.access_token, provider=provider, sub=sub)
            token_version = _orgs_version(token_claims) if token_claims is not None else None
            if (
                token_claims is not None
                and token_version is not None
                and kept_version is not None
                and kept_version >= token_version
            ):
                profile = token_claims  # the list kept is Panda's latest: no need to read it
            else:
                fresh = _userinfo_claims(provider, new_tokens.access_token, sub)
                profile = fresh
        except ProviderUnavailable as exc:
            # The old refresh token is spent: keep the new one, and read the claims next time.
            update_session(tokens=replace(new_tokens, expires_at=0))
            unavailable: ProviderUnavailable | None = exc
        else:
            update_session(tokens=new_tokens, claims=_merge_claims(session.get("claims") or {}, profile))
            unavailable = None
        stored["tokens"] = session["tokens"]
        stored["claims"] = session["claims"]
    if unavailable is not None:
        raise unavailable
    if fresh is not None:
        keep_access(sub, fresh)
    return True


def _userinfo_claims(provider: PandaProvider, access_token: str, sub: str) -> dict:
    try:
        return _userinfo(provider, access_token, sub)
    except _AccessTokenRejected as exc:
        raise SessionRevoked("userinfo refused a fresh access token") from exc


def reread_claims() -> None:
    """Ask Panda for the person's claims now (userinfo), renewing the access token if needed.

    Used where the newest list of organizations matters more than a round trip
    (the organization switcher). Grants given in Panda show at once anyway when Panda
    reached the community (its access event); this also covers the case it did not.
    """
    if refresh_session():
        return
    tokens = session_tokens()
    sub = session_subject()
    if tokens is None or sub is None:
        raise SessionRevoked("no tokens in the session")
    try:
        fresh = _userinfo(panda(), tokens.access_token, sub)
    except _AccessTokenRejected:
        refresh_session(force=True)
        return
    update_session(claims=_merge_claims(session.get("claims") or {}, fresh))
    keep_access(sub, fresh)


# -- ending sessions -----------------------------------------------------------------------
def accept_backchannel_logout(logout_token: str) -> int:
    """End the community sessions a valid logout token names; returns how many ended.

    Raises ``LogoutTokenInvalid`` (also for a replayed ``jti``) and ``ProviderUnavailable``.
    """
    provider = panda()
    max_age = int(current_app.config["BACKCHANNEL_LOGOUT_MAX_AGE"])
    logout = validate_logout_token(logout_token, provider=provider, max_age=max_age)
    if not access.first_sighting(provider.issuer, logout.jti, logout.issued_at, max_age):
        raise LogoutTokenInvalid("jti seen before")
    return end_sessions(db, WebSession, subject=logout.sub, sid=logout.sid)


def revoke_refresh_token(refresh_token: str | None) -> None:
    """Tell Panda the community no longer needs this grant (RFC 7009), so it cannot be renewed from here.

    Signing out must not fail because Panda is away: the failure is logged and the
    refresh token stays valid until Panda's session ends it or it expires.
    """
    if not refresh_token:
        return
    try:
        panda().revoke_refresh_token(refresh_token)
    except ProviderUnavailable as exc:
        log.warning("refresh token not revoked at sign-out, Panda unavailable: %s", exc)


def end_session_url(*, id_token_hint: str | None) -> str | None:
    """Panda's end-session URL (RP-initiated logout), or None when Panda publishes none."""
    provider = panda()
    if not provider.endpoint("end_session_endpoint"):
        return None
    result = provider.client.create_logout_url(
        post_logout_redirect_uri=provider.post_logout_redirect_uri,
        id_token_hint=id_token_hint,
        client_id=provider.client_id,
    )
    return result["url"]
