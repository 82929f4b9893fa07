"""Bearer tokens: how a request becomes an ``ApiCaller``, and the ``api_scope`` check.

Each service registers a resolver (``Api.init_app(app, resolver=...)``): a function
taking the token string and returning an ``ApiCaller``, raising ``InvalidToken``
(answered 401) or ``TokenCheckUnavailable`` (answered 503). Cookies are never read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext as _

from shared.api.problems import ApiProblem

RESOLVER_KEY = "shared.api.resolver"
MAX_TOKEN_LENGTH = 8 * 1024


@dataclass(frozen=True)
class ApiCaller:
    """Who calls: ``sub`` (a person, or the client id for client credentials) and the token's ``scopes``."""

    sub: str
    scopes: frozenset[str]
    client_id: str | None = None
    token_type: str = "access_token"  # "access_token" | "personal_access_token"
    is_person: bool = True
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str:
        """A stable name for the caller (idempotency keys and rate limits are kept per caller)."""
        return f"{'person' if self.is_person else 'client'}:{self.sub}"

    def has(self, *scopes: str) -> bool:
        return set(scopes) <= self.scopes


class InvalidToken(Exception):
    """The token is missing, malformed, expired, revoked, not for this API, or not signed by the issuer."""

    def __init__(self, description: str = "", *, error: str = "invalid_token") -> None:
        super().__init__(description)
        self.description = description
        self.error = error


class TokenCheckUnavailable(Exception):
    """The token could not be checked right now (its issuer is unreachable)."""


Resolver = Callable[[str], ApiCaller]


def realm() -> str:
    return str(current_app.config.get("SERVICE_NAME") or current_app.name)


def _challenge(error: str | None = None, description: str | None = None, scope: str | None = None) -> str:
    parts = [f'Bearer realm="{realm()}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append('error_description="{}"'.format(description.replace('"', "'")))
    if scope:
        parts.append(f'scope="{scope}"')
    return ", ".join(parts)


def bearer_token() -> str | None:
    """The bearer token of the ``Authorization`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_key() -> str:
    """A rate-limit key per token (its hash; the client address without a token)."""
    token = bearer_token()
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "address:" + (request.remote_addr or "unknown")


def current_caller() -> ApiCaller:
    """The caller of this API request (set by the access check before the view runs)."""
    caller = g.get("api_caller")
    if caller is None:
        raise ApiProblem(401, _("Send a bearer token."), headers={"WWW-Authenticate": _challenge()})
    return caller


def authenticate(scopes: Iterable[str]) -> ApiCaller:
    """Resolve the request's bearer token and check it holds every one of ``scopes``.

    Raises ``ApiProblem``: 401 without a usable token, 403 ``insufficient_scope``, 503 when
    the token cannot be checked now.
    """
    wanted = tuple(scopes)
    token = bearer_token()
    if token is None:
        raise ApiProblem(
            401, _("Send a bearer token in the Authorization header."), headers={"WWW-Authenticate": _challenge()}
        )
    if len(token) > MAX_TOKEN_LENGTH:
        raise ApiProblem(
            401,
            _("The token is not valid."),
            headers={"WWW-Authenticate": _challenge("invalid_token", "token too long")},
        )
    resolver: Resolver | None = current_app.extensions.get(RESOLVER_KEY)
    if resolver is None:
        raise ApiProblem(401, _("This service accepts no bearer tokens."), headers={"WWW-Authenticate": _challenge()})
    try:
        caller = resolver(token)
    except InvalidToken as exc:
        raise ApiProblem(
            401,
            _("The token is not valid: it may have expired or been revoked."),
            headers={"WWW-Authenticate": _challenge(exc.error, exc.description or None)},
        ) from exc
    except TokenCheckUnavailable as exc:
        raise ApiProblem(
            503,
            _("The token cannot be checked right now. Try again in a moment."),
            headers={"Retry-After": "10"},
        ) from exc
    g.api_caller = caller
    missing = [scope for scope in wanted if scope not in caller.scopes]
    if missing:
        raise ApiProblem(
            403,
            _("The token lacks the scope %(scope)s.", scope=" ".join(missing)),
            headers={"WWW-Authenticate": _challenge("insufficient_scope", None, " ".join(wanted))},
            extra={"required_scopes": list(wanted)},
        )
    return caller
