"""Checking the JWTs Panda sends besides the ID token: logout tokens and access tokens."""

from __future__ import annotations

import time
from dataclasses import dataclass

from joserfc.errors import JoseError
from joserfc.jwt import Token

from support_community.auth.provider import PandaProvider

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"
# Clocks of two servers never agree exactly.
CLOCK_LEEWAY = 60
DEFAULT_LOGOUT_TOKEN_MAX_AGE = 300
MAX_TOKEN_LENGTH = 16 * 1024


class LogoutTokenInvalid(Exception):
    """The logout token is malformed, not Panda's, not for us, too old, or seen before."""


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


def claims_from_access_token(value: str, *, provider: PandaProvider, sub: str) -> dict | None:
    """The claims of a JWT access token from Panda, or None when it cannot be used as the source.

    The token comes straight from Panda's token endpoint; its signature is still
    checked so that only what Panda signed decides access. Tokens that are not
    JWTs, do not verify, or do not carry ``orgs`` are answered with None, and the
    caller asks userinfo instead.
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
    if not isinstance(claims.get("orgs"), list):
        return None
    return dict(claims)
