"""Token introspection (RFC 7662): ``POST /introspect``, for confidential clients.

A resource server (the community's API) asks whether a token it was shown is live, and
for whom. The answer is ``{"active": false}`` for anything the calling client may not
know about, so an introspection never tells one client about another's tokens:

* a JWT access token Panda signed: live while its record is neither revoked nor expired
  (and its person active), and only for the client it was issued to;
* a refresh token: only for the client that holds it, while unused, unexpired and its grant
  not revoked (a rotated one is inactive; introspecting it does not revoke anything);
* a personal access token (``pat_…``): live while neither revoked nor expired; any
  confidential client may ask (it belongs to no client) and must check ``aud``. The answer
  lists ``forbidden_orgs``, the person's organizations that refuse personal access tokens.

``token_type`` is ``access_token``, ``refresh_token`` or ``personal_access_token``.
"""

from __future__ import annotations

from typing import Any

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request, TokenEndpoint

from panda_portal.extensions import db
from panda_portal.oidc import tokens
from panda_portal.oidc.models import AccessToken, OidcClient

INACTIVE: dict[str, Any] = {"active": False}
MAX_TOKEN_LENGTH = 8192
HEADERS = [*default_json_headers, ("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def _access_token(value: str, client: OidcClient) -> dict[str, Any]:
    claims = tokens.verified_access_token_claims(value)
    if claims is None:
        return INACTIVE
    row = db.session.get(AccessToken, claims["jti"])
    if row is None or row.is_revoked() or row.is_expired() or row.family.client_pk != client.id:
        return INACTIVE
    person = row.family.account
    if person is not None and not person.is_active:
        return INACTIVE
    answer = {
        "active": True,
        "token_type": "access_token",
        "iss": claims["iss"],
        "sub": claims.get("sub"),
        "aud": claims.get("aud"),
        "scope": row.scope,
        "client_id": client.client_id,
        "iat": claims.get("iat"),
        "exp": claims.get("exp"),
        "jti": row.jti,
    }
    return {key: value for key, value in answer.items() if value is not None}


def _refresh_token(value: str, client: OidcClient) -> dict[str, Any]:
    row = tokens.lookup_refresh_token(value)
    if row is None or row.family.client_pk != client.id:
        return INACTIVE
    if row.rotated_at is not None or row.is_expired() or row.is_revoked():
        return INACTIVE
    person = row.family.account
    if person is None or not person.is_active:
        return INACTIVE
    return {
        "active": True,
        "token_type": "refresh_token",
        "iss": tokens.issuer(),
        "sub": str(person.id),
        "scope": row.family.scope,
        "client_id": client.client_id,
        "iat": int(row.created_at.timestamp()),
        "exp": int(row.expires_at.timestamp()),
    }


def _personal_token(value: str) -> dict[str, Any]:
    from panda_portal.personal_tokens.services import find_active, introspection

    row = find_active(value)
    if row is None:
        return INACTIVE
    return {**introspection(row), "iss": tokens.issuer()}


def introspect(value: str, client: OidcClient, hint: str | None = None) -> dict[str, Any]:
    from panda_portal.personal_tokens.services import looks_like_personal_token

    if looks_like_personal_token(value):
        return _personal_token(value)
    if value.count(".") == 2:
        return _access_token(value, client)
    return _refresh_token(value, client)


class TokenIntrospectionEndpoint(TokenEndpoint):
    ENDPOINT_NAME = "introspection"
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def create_endpoint_response(self, request: OAuth2Request) -> tuple[int, dict, list]:
        client: OidcClient = self.authenticate_endpoint_client(request)
        value = request.form.get("token")
        if not isinstance(value, str) or not value or len(value) > MAX_TOKEN_LENGTH:
            raise InvalidRequestError("Send the token to introspect in 'token'.")
        hint = request.form.get("token_type_hint")
        return 200, introspect(value, client, hint if isinstance(hint, str) else None), HEADERS
