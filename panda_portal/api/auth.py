"""How a bearer token becomes the caller of Panda's API.

* A personal access token (``pat_…``) is checked here, directly: live, for this API
  (``orgs:*`` scopes), its last use recorded.
* A JWT access token Panda signed (``at+jwt``) must name this API in ``aud`` and still be
  recorded as live (revocation is seen at once). Its person, if any, must be active; a
  ``client_credentials`` token has none (``sub`` is the client).

The person is kept in ``g.api_account`` for ``permissions.can``; cookies are never read.
"""

from __future__ import annotations

from flask import g

from panda_portal.extensions import db
from panda_portal.oidc.models import PANDA_API_AUDIENCE, AccessToken, audiences_of
from panda_portal.oidc.tokens import verified_access_token_claims
from panda_portal.personal_tokens import services as personal_tokens
from shared.api import ApiCaller, InvalidToken

PERSONAL_TOKEN = personal_tokens.TOKEN_TYPE


def _audiences(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def resolve_token(token: str) -> ApiCaller:
    g.api_account = None
    if personal_tokens.looks_like_personal_token(token):
        pat = personal_tokens.find_active(token, record_use=False)
        if pat is None:
            raise InvalidToken("unknown, expired or revoked token")
        if PANDA_API_AUDIENCE not in audiences_of(pat.scopes):
            raise InvalidToken("not a token for this API")
        g.api_account = pat.account
        if personal_tokens.use_is_stale(pat):
            g.personal_token_used = pat.id  # recorded after the request's own work (``app.record_token_use``)
        return ApiCaller(
            sub=str(pat.account_id),
            scopes=frozenset(pat.scopes),
            token_type=PERSONAL_TOKEN,
            is_person=True,
            details={"token_id": str(pat.id)},
        )
    claims = verified_access_token_claims(token)
    if claims is None:
        raise InvalidToken("unknown or expired token")
    if PANDA_API_AUDIENCE not in _audiences(claims.get("aud")):
        raise InvalidToken("not a token for this API (aud)")
    row = db.session.get(AccessToken, claims["jti"])
    if row is None or row.is_revoked() or row.is_expired():
        raise InvalidToken("revoked or expired token")
    person = row.family.account
    if person is not None and not person.is_active:
        raise InvalidToken("the account is disabled")
    g.api_account = person
    return ApiCaller(
        sub=str(claims.get("sub")),
        scopes=frozenset(row.scope.split()),
        client_id=row.family.client.client_id,
        is_person=person is not None,
    )
