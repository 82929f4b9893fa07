"""How a bearer token becomes a caller of the community's API.

Two kinds of tokens are accepted, both issued by Panda:

* **JWT access tokens** (RFC 9068): checked here without calling Panda: signature with
  Panda's keys (the JWKS the sign-in uses, kept in memory), ``typ`` ``at+jwt``, ``iss``
  Panda, ``aud`` naming this API (``urn:support-community:api``), ``exp``/``nbf``/``iat``.
* **Personal access tokens** (``pat_…``): opaque, so Panda is asked (RFC 7662
  introspection, authenticated with the community's client credentials). An answer is
  kept at most ``COMMUNITY_API_INTROSPECTION_SECONDS`` (60 s; a refusal 10 s), so a token
  revoked at Panda stops working within that time. Panda unreachable is a 503 for a PAT
  whose answer is not kept; JWTs keep working.

What the caller may do is never read from the token: a person's organizations and roles
are the community's own rows (``auth.access``, read again from Panda when stale), as for
the web pages; the token's scopes only narrow it. A PAT cannot act for the organizations
Panda lists in ``forbidden_orgs`` (they forbid personal access tokens).

A client-credentials token (``sub`` equals ``client_id``: no person) is the vendor's
integration. It acts for no organization; with the ``agent`` scope it works the agents'
queue as an agent account of its own, ``client:<client_id>``, named after the client and
left out of the agents one can assign cases to.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import current_app, g
from joserfc.errors import JoseError

from shared.api import ApiCaller, InvalidToken, TokenCheckUnavailable
from support_community.auth.access import SUPPORT_AGENT, refresh_if_needed, roles_of
from support_community.auth.provider import ProviderUnavailable, panda
from support_community.auth.session import OrganizationClaim, SignedInPerson
from support_community.auth.tokens import CLOCK_LEEWAY
from support_community.extensions import db

AUDIENCE = "urn:support-community:api"
SCOPES = ("cases:read", "cases:write", "agent")
ACCESS_TOKEN_TYPES = {"at+jwt", "application/at+jwt"}
PERSONAL_TOKEN_PREFIX = "pat_"
PERSONAL_TOKEN_TYPE = "personal_access_token"
MAX_POSITIVE_SECONDS = 60
NEGATIVE_SECONDS = 10
CACHE_SIZE = 10_000
INTEGRATION_PREFIX = "client:"


@dataclass(frozen=True)
class ApiPerson(SignedInPerson):
    """A person calling the API: the same checks as the web pages, without the organizations a PAT may not use."""

    forbidden_orgs: frozenset[str] = field(default_factory=frozenset)
    integration: bool = False

    def organization(self, org_id: object) -> OrganizationClaim | None:
        if _normalized_id(org_id) in self.forbidden_orgs:
            return None
        return super().organization(org_id)


def _normalized_id(value: object) -> str | None:
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


# -- personal access tokens: Panda's introspection, kept briefly ----------------------------------------
class _Answers:
    """Introspection answers by the token's hash, each until its own deadline (process memory: a cache only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def get(self, key: str) -> tuple[bool, dict[str, Any] | None]:
        with self._lock:
            found = self._kept.get(key)
            if found is None or found[0] <= time.monotonic():
                self._kept.pop(key, None)
                return False, None
            return True, found[1]

    def put(self, key: str, answer: dict[str, Any] | None, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            if len(self._kept) >= CACHE_SIZE:
                now = time.monotonic()
                for stale in [k for k, (deadline, _a) in self._kept.items() if deadline <= now]:
                    del self._kept[stale]
                if len(self._kept) >= CACHE_SIZE:
                    self._kept.clear()
            self._kept[key] = (time.monotonic() + seconds, answer)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


ANSWERS = _Answers()


def _introspect(token: str) -> dict[str, Any] | None:
    """Panda's answer about a PAT (None when inactive); ``TokenCheckUnavailable`` when Panda cannot answer."""
    provider = panda()
    try:
        url = provider.endpoint("introspection_endpoint")
        if not url:
            raise TokenCheckUnavailable("Panda publishes no introspection endpoint")
        response = requests.post(
            url,
            data={"token": token, "token_type_hint": PERSONAL_TOKEN_TYPE},
            auth=(provider.client_id, current_app.config.get("COMMUNITY_CLIENT_SECRET") or ""),
            headers={"Accept": "application/json"},
            timeout=provider.timeout,
            allow_redirects=False,
        )
    except (requests.RequestException, ProviderUnavailable) as exc:
        raise TokenCheckUnavailable(f"introspection: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise TokenCheckUnavailable(f"introspection: HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise TokenCheckUnavailable("introspection: not JSON") from exc
    if not isinstance(answer, dict):
        raise TokenCheckUnavailable("introspection: not an object")
    return answer if answer.get("active") is True else None


def personal_token_claims(token: str) -> dict[str, Any]:
    key = hashlib.sha256(token.encode()).hexdigest()
    known, answer = ANSWERS.get(key)
    if not known:
        answer = _introspect(token)
        now = time.time()
        if answer is None:
            ANSWERS.put(key, None, NEGATIVE_SECONDS)
        else:
            seconds: float = min(int(current_app.config["COMMUNITY_API_INTROSPECTION_SECONDS"]), MAX_POSITIVE_SECONDS)
            exp = answer.get("exp")
            if isinstance(exp, (int, float)):
                seconds = min(seconds, exp - now)
            ANSWERS.put(key, answer, seconds)
    if answer is None:
        raise InvalidToken("the token is not active")
    if answer.get("token_type") != PERSONAL_TOKEN_TYPE:
        raise InvalidToken("not a personal access token")
    exp = answer.get("exp")
    if isinstance(exp, (int, float)) and exp < time.time():
        raise InvalidToken("the token has expired")
    return answer


# -- JWT access tokens: checked here --------------------------------------------------------------------
def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [item for item in aud if isinstance(item, str)] if isinstance(aud, list) else []


def access_token_claims(token: str, *, now: float | None = None) -> dict[str, Any]:
    provider = panda()
    try:
        decoded = provider.decode(token)
    except ProviderUnavailable as exc:
        raise TokenCheckUnavailable("Panda's keys cannot be read") from exc
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidToken("not a token signed by Panda") from exc
    header, claims = decoded.header, decoded.claims
    if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidToken("not an access token (typ)")
    if claims.get("iss") != provider.issuer:
        raise InvalidToken("issued by someone else")
    now = time.time() if now is None else now
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp < now - CLOCK_LEEWAY:
        raise InvalidToken("the token has expired")
    if isinstance(nbf, (int, float)) and nbf > now + CLOCK_LEEWAY:
        raise InvalidToken("the token is not valid yet")
    if isinstance(iat, (int, float)) and iat > now + CLOCK_LEEWAY:
        raise InvalidToken("the token is issued in the future")
    return dict(claims)


# -- the caller ---------------------------------------------------------------------------------------
def integration_sub(client_id: str) -> str:
    """The account a client acting for itself works under (at most 64 characters, like Panda's subs)."""
    sub = INTEGRATION_PREFIX + client_id
    return sub if len(sub) <= 64 else INTEGRATION_PREFIX + hashlib.sha256(client_id.encode()).hexdigest()[:40]


def _forbidden(answer: dict[str, Any]) -> frozenset[str]:
    values = answer.get("forbidden_orgs") or []
    return frozenset(
        normalized for normalized in (_normalized_id(value) for value in values if isinstance(value, str)) if normalized
    )


def _person(sub: str, claims: dict[str, Any], *, forbidden: frozenset[str]) -> ApiPerson:
    from support_community.cases.models import Person

    refresh_if_needed(sub)
    db.session.commit()  # what Panda's access read said is kept, whatever the view does next
    known = db.session.get(Person, sub)
    name = claims.get("name") or (known.stored_name if known else None) or claims.get("email") or sub
    email = claims.get("email") or (known.email if known else "")
    locale = claims.get("locale") or (known.locale if known else None)
    return ApiPerson(
        sub=sub,
        name=str(name),
        email=str(email or ""),
        locale=str(locale) if locale else None,
        roles=roles_of(sub),
        kept=True,
        forbidden_orgs=forbidden,
    )


def resolve(token: str) -> ApiCaller:
    """The ``shared.api`` resolver: the caller of a token, with ``g.current_user`` set for ``permissions.can``."""
    if token.startswith(PERSONAL_TOKEN_PREFIX):
        claims, token_type = personal_token_claims(token), PERSONAL_TOKEN_TYPE
    elif token.count(".") == 2:
        claims, token_type = access_token_claims(token), "access_token"
    else:
        raise InvalidToken("not a token Panda issues")
    if AUDIENCE not in _audiences(claims):
        raise InvalidToken("not a token for this API (aud)")
    sub, client_id = claims.get("sub"), claims.get("client_id")
    if not isinstance(sub, str) or not 0 < len(sub) <= 64:
        raise InvalidToken("the token names nobody (sub)")
    scope = claims.get("scope")
    scopes = frozenset(s for s in (scope.split() if isinstance(scope, str) else []) if s in SCOPES)
    is_person = token_type == PERSONAL_TOKEN_TYPE or not (isinstance(client_id, str) and client_id == sub)
    if is_person:
        forbidden = _forbidden(claims) if token_type == PERSONAL_TOKEN_TYPE else frozenset()
        user: SignedInPerson = _person(sub, claims, forbidden=forbidden)
    else:
        user = ApiPerson(
            sub=integration_sub(str(client_id)),
            name=str(client_id),
            email="",
            locale="en",
            roles=(SUPPORT_AGENT,) if "agent" in scopes else (),
            kept=True,
            integration=True,
        )
    g.current_user = user
    return ApiCaller(
        sub=user.sub,
        scopes=scopes,
        client_id=client_id if isinstance(client_id, str) else None,
        token_type=token_type,
        is_person=is_person,
    )
