"""Checking the JWTs Panda sends besides the ID token: logout tokens, access events and access tokens."""

from __future__ import annotations

import time
from dataclasses import dataclass

from joserfc.errors import JoseError
from joserfc.jwt import Token

from support_community.auth.provider import PandaProvider

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"
ACCESS_CHANGED_EVENT = "urn:panda:event:access-changed"
ACCESS_EVENT_TYPE = "access-event+jwt"
EVERYTHING = "*"
# Clocks of two servers never agree exactly.
CLOCK_LEEWAY = 60
DEFAULT_LOGOUT_TOKEN_MAX_AGE = 300
MAX_TOKEN_LENGTH = 16 * 1024


class LogoutTokenInvalid(Exception):
    """The logout token is malformed, not Panda's, not for us, too old, or seen before."""


class AccessEventInvalid(Exception):
    """The access event is malformed, not Panda's, not for us, too old, or seen before."""


@dataclass(frozen=True)
class AccessEvent:
    """Panda says what ``sub`` may do here changed: list ``version`` and the organizations ``withdrawn``."""

    jti: str
    sub: str
    version: int
    withdrawn: tuple[str, ...]
    issued_at: int


@dataclass(frozen=True)
class LogoutRequest:
    jti: str
    sub: str | None
    sid: str | None
    issued_at: int


def _decode(provider: PandaProvider, value: str) -> Token:
    try:
        return provider.decode(value)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise LogoutTokenInvalid(f"not a valid signed token: {type(exc).__name__}") from exc


def _audiences(claims: dict) -> list:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return aud if isinstance(aud, list) else []


def validate_logout_token(
    value: str, *, provider: PandaProvider, max_age: int = DEFAULT_LOGOUT_TOKEN_MAX_AGE, now: float | None = None
) -> LogoutRequest:
    """Check a back-channel logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6).

    Raises ``LogoutTokenInvalid``; ``ProviderUnavailable`` when Panda's keys cannot be fetched.
    The caller still has to refuse a ``jti`` it has seen before.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN_LENGTH:
        raise LogoutTokenInvalid("missing or oversized logout_token")
    token = _decode(provider, value)
    header, claims = token.header, token.claims
    if header.get("typ") is not None and str(header["typ"]).lower() not in {
        LOGOUT_TOKEN_TYPE,
        "application/" + LOGOUT_TOKEN_TYPE,
    }:
        raise LogoutTokenInvalid("typ is not logout+jwt")
    if claims.get("iss") != provider.issuer:
        raise LogoutTokenInvalid("issued by someone else")
    if provider.client_id not in _audiences(claims):
        raise LogoutTokenInvalid("meant for another client")
    now = time.time() if now is None else now
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise LogoutTokenInvalid("iat missing")
    if iat > now + CLOCK_LEEWAY:
        raise LogoutTokenInvalid("issued in the future")
    if iat < now - max_age - CLOCK_LEEWAY:
        raise LogoutTokenInvalid("too old")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp < now - CLOCK_LEEWAY):
        raise LogoutTokenInvalid("expired")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise LogoutTokenInvalid("not a back-channel logout event")
    if "nonce" in claims:
        raise LogoutTokenInvalid("carries a nonce (an ID token?)")
    sub, sid = claims.get("sub"), claims.get("sid")
    if sub is not None and (not isinstance(sub, str) or not sub):
        raise LogoutTokenInvalid("sub is not a string")
    if sid is not None and (not isinstance(sid, str) or not sid):
        raise LogoutTokenInvalid("sid is not a string")
    if sub is None and sid is None:
        raise LogoutTokenInvalid("neither sub nor sid")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise LogoutTokenInvalid("jti missing")
    return LogoutRequest(jti=jti, sub=sub, sid=sid, issued_at=int(iat))


def validate_access_event(
    value: str, *, provider: PandaProvider, max_age: int = DEFAULT_LOGOUT_TOKEN_MAX_AGE, now: float | None = None
) -> AccessEvent:
    """Check an access event as strictly as a logout token (``docs/access-events.md``).

    Its ``typ`` must be ``access-event+jwt`` (a logout token, an ID token or an access
    token is refused here), its issuer Panda, its audience this client, its ``iat``
    recent, and it must name a ``sub``, a ``jti`` and the access-changed event with an
    integer ``orgs_version``. Raises ``AccessEventInvalid``; ``ProviderUnavailable``
    when Panda's keys cannot be fetched. The caller still refuses a ``jti`` seen before.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN_LENGTH:
        raise AccessEventInvalid("missing or oversized access event")
    try:
        token = provider.decode(value)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise AccessEventInvalid(f"not a valid signed token: {type(exc).__name__}") from exc
    header, claims = token.header, token.claims
    if str(header.get("typ", "")).lower().removeprefix("application/") != ACCESS_EVENT_TYPE:
        raise AccessEventInvalid("typ is not access-event+jwt")
    if claims.get("iss") != provider.issuer:
        raise AccessEventInvalid("issued by someone else")
    if provider.client_id not in _audiences(claims):
        raise AccessEventInvalid("meant for another client")
    now = time.time() if now is None else now
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise AccessEventInvalid("iat missing")
    if iat > now + CLOCK_LEEWAY:
        raise AccessEventInvalid("issued in the future")
    if iat < now - max_age - CLOCK_LEEWAY:
        raise AccessEventInvalid("too old")
    if exp is not None and (not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp < now - CLOCK_LEEWAY):
        raise AccessEventInvalid("expired")
    if "nonce" in claims:
        raise AccessEventInvalid("carries a nonce (an ID token?)")
    events = claims.get("events")
    if not isinstance(events, dict) or len(events) != 1 or not isinstance(events.get(ACCESS_CHANGED_EVENT), dict):
        raise AccessEventInvalid("not an access-changed event")
    details: dict = events[ACCESS_CHANGED_EVENT]
    sub, jti = claims.get("sub"), claims.get("jti")
    if not isinstance(sub, str) or not 0 < len(sub) <= 64:
        raise AccessEventInvalid("sub missing")
    if not isinstance(jti, str) or not jti:
        raise AccessEventInvalid("jti missing")
    version, withdrawn = details.get("orgs_version"), details.get("withdrawn", [])
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise AccessEventInvalid("orgs_version missing")
    if not isinstance(withdrawn, list) or not all(isinstance(item, str) for item in withdrawn):
        raise AccessEventInvalid("withdrawn is not a list of organization ids")
    return AccessEvent(jti=jti, sub=sub, version=version, withdrawn=tuple(withdrawn), issued_at=int(iat))


def claims_from_access_token(value: str, *, provider: PandaProvider, sub: str) -> dict | None:
    """The claims of a JWT access token from Panda, or None when it cannot be used as the source.

    The token comes straight from Panda's token endpoint; its signature is still
    checked so that only what Panda signed decides access. Tokens that are not
    JWTs or do not verify are answered with None, and the caller asks userinfo
    instead. The token carries ``orgs_version``, not the list: the caller reads the
    list from userinfo when the version is newer than the one it keeps.
    """
    try:
        token = provider.decode(value)
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    claims = token.claims
    exp = claims.get("exp")
    if claims.get("iss") != provider.issuer or claims.get("sub") != sub:
        return None
    if not isinstance(exp, (int, float)) or exp < time.time() - CLOCK_LEEWAY:
        return None
    return dict(claims)
