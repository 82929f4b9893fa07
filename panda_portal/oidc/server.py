"""Authlib wiring: the authorization server, its grants, extensions and endpoints.

Authlib leaves several decisions to the server; Panda's are made here:

* PKCE with S256 for every client, public or confidential; ``plain`` is refused
  (Authlib's ``CodeChallenge`` only forces PKCE on public clients and accepts plain).
* The ID token is built here with ``iss``, ``aud``, ``sub``, ``auth_time``,
  ``sid`` and ``nonce`` (Authlib adds no ``iss`` by itself), and also issued on
  refresh (without ``nonce``), so a client's claims stay current.
* Custom claims (``orgs``, ``roles``, ``orgs_version``) are never passed through
  ``UserInfo.filter()``, which would drop them. Tokens carry ``orgs_version``,
  never the ``orgs`` list (``claims``).
* HTTP Basic client credentials that are not base64 of UTF-8 text are an
  ``invalid_client``, like wrong ones (Authlib's own reader raises on non-UTF-8).
* The access read (``AccessEndpoint``): a confidential client asks for a person's
  ``orgs`` when Panda told it that they changed (``events``).
* Access tokens are JWTs valid ``ACCESS_TOKEN_SECONDS`` (Authlib's default bearer
  tokens live ten days).
* ``client_credentials`` only for confidential clients registered with it, and only
  for the API scopes registered for them (``tokens.client_credentials_token``).
* Token introspection (RFC 7662, ``introspection``) for confidential clients.
* No implicit, hybrid or password grant is registered.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from typing import Any
from urllib.parse import unquote

from authlib.consts import default_json_headers
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request, TokenEndpoint, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator, InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, OpenIDToken, UserInfoEndpoint
from authlib.oidc.core.util import create_half_hash
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask, current_app
from flask import request as flask_request
from joserfc.jwk import KeySet

from panda_portal.accounts.models import Account
from panda_portal.accounts.session import auth_time, authentication_methods, session_sid
from panda_portal.extensions import db
from panda_portal.oidc import keys, services, tokens
from panda_portal.oidc.access import orgs_snapshot
from panda_portal.oidc.claims import held_back_claim, user_claims
from panda_portal.oidc.models import ALL_SCOPES, AccessToken, OidcClient, RefreshToken, acr_of

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
ID_TOKEN_TYPE = "JWT"
PKCE_METHOD = "S256"


def issuer() -> str:
    return current_app.config["PANDA_ISSUER"]


class PandaOAuth2Request(FlaskOAuth2Request):
    """Authlib refuses requests whose URL is plain http. Behind a TLS-terminating
    proxy Flask sees http, so when the public issuer is https the check is made on
    the public URL instead (production refuses to start with an http issuer)."""

    def __init__(self, request: Any) -> None:
        public = issuer()
        uri = public + request.full_path if public.startswith("https://") else request.url
        OAuth2Request.__init__(self, method=request.method, uri=uri, headers=request.headers)
        self._request = request
        self.payload = FlaskOAuth2Payload(request)


class PandaAuthorizationServer(AuthorizationServer):
    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return PandaOAuth2Request(flask_request)


# -- client authentication -----------------------------------------------------------------
def basic_credentials(headers: Any) -> tuple[str | None, str | None]:
    """The client id and secret of an ``Authorization: Basic`` header (RFC 6749 §2.3.1), or (None, None).

    Anything that is not base64 of UTF-8 text is no credentials at all, so the client
    is refused as ``invalid_client`` (401), never with a server error.
    """
    header = headers.get("Authorization")
    if not header or " " not in header:
        return None, None
    kind, value = header.split(None, 1)
    if kind.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip()).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None, None
    client_id, separator, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret) if separator else None


def authenticate_client_secret_basic(query_client: Any, request: OAuth2Request) -> OidcClient | None:
    client_id, secret = basic_credentials(request.headers)
    if not client_id or not secret:
        return None
    client = query_client(client_id)
    if client is None or not client.check_client_secret(secret):
        return None
    return client


# -- PKCE ----------------------------------------------------------------------------------
class RequiredS256CodeChallenge(CodeChallenge):
    """PKCE with S256 for every client; ``plain`` and missing challenges are refused."""

    DEFAULT_CODE_CHALLENGE_METHOD = PKCE_METHOD
    SUPPORTED_CODE_CHALLENGE_METHOD = [PKCE_METHOD]
    CODE_CHALLENGE_METHODS = {PKCE_METHOD: compare_s256_code_challenge}

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge with code_challenge_method=S256.")
        if data.get("code_challenge_method") != PKCE_METHOD:
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier' (PKCE is required).")
        super().validate_code_verifier(grant, result)


# -- grants --------------------------------------------------------------------------------
class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        tokens.store_code(
            code,
            client=request.client,
            account=request.user,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce") or None,
            code_challenge=data["code_challenge"],
            code_challenge_method=data.get("code_challenge_method", PKCE_METHOD),
            auth_time=auth_time() or int(time.time()),
            sid=session_sid(),
            amr=authentication_methods(),
        )

    def validate_token_request(self) -> None:
        tokens.check_resources()
        super().validate_token_request()

    def query_authorization_code(self, code: str, client: OidcClient) -> Any:
        return tokens.find_code(code, client)

    def delete_authorization_code(self, authorization_code: Any) -> None:
        # Kept, marked used: presenting it again must revoke what it gave.
        return None

    def authenticate_user(self, authorization_code: Any) -> tokens.Grantee:
        return tokens.consume_code(authorization_code)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def validate_token_request(self) -> None:
        tokens.check_resources()
        super().validate_token_request()

    def authenticate_refresh_token(self, refresh_token: str) -> tokens.PresentedRefreshToken | None:
        return tokens.find_refresh_token(refresh_token)

    def authenticate_user(self, refresh_token: tokens.PresentedRefreshToken) -> tokens.Grantee:
        return tokens.rotate_refresh_token(refresh_token)

    def revoke_old_credential(self, refresh_token: tokens.PresentedRefreshToken) -> None:
        # Already marked rotated by ``authenticate_user``, atomically.
        return None


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """A client acting for itself (the vendor's integrations): confidential clients only."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        tokens.check_resources()
        super().validate_token_request()


# -- ID tokens -----------------------------------------------------------------------------
class IDTokenIssuer(OpenIDToken):
    """Adds an ID token to token responses whose scope holds ``openid``."""

    def generate_user_info(self, user: tokens.Grantee, scope: str) -> dict:
        # Not called: ``encode_id_token`` takes the claims built once for both tokens.
        return user_claims(user.account, services.get_client_by_pk(user.family.client_pk), scope)

    def encode_id_token(self, token: dict, request: OAuth2Request) -> str:
        grantee: tokens.Grantee = request.user
        client: OidcClient = request.client
        now = int(time.time())
        claims = grantee.claims(client, token["scope"])
        claims.update(
            {
                "iss": issuer(),
                "sub": str(grantee.account.id),
                "aud": client.client_id,
                "iat": now,
                "exp": now + int(current_app.config["ID_TOKEN_SECONDS"]),
                "auth_time": grantee.auth_time,
                "amr": grantee.amr,
                "acr": acr_of(grantee.amr),
            }
        )
        if grantee.sid:
            claims["sid"] = grantee.sid
        code = request.authorization_code
        if code is not None and code.get_nonce():
            claims["nonce"] = code.get_nonce()
        at_hash = create_half_hash(token["access_token"], keys.ALGORITHM)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
        return keys.sign(claims, typ=ID_TOKEN_TYPE)


class OpenIDCodeExtension(IDTokenIssuer, OpenIDCode):
    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return tokens.nonce_was_used(request.payload.client_id, nonce)


class PandaIssuerParameter(IssuerParameter):
    def get_issuer(self) -> str:
        return issuer()


# -- endpoints -----------------------------------------------------------------------------
class TokenRevocationEndpoint(RevocationEndpoint):
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        lookups = [tokens.lookup_refresh_token, tokens.find_access_token]
        if token_type_hint == "access_token":
            lookups.reverse()
        for lookup in lookups:
            found = lookup(token_string)
            if found is not None:
                return found
        return None

    def revoke_token(self, token: Any, request: OAuth2Request) -> None:
        # A refresh token ends its whole grant (RFC 7009 §2.1); an access token only itself.
        if isinstance(token, RefreshToken):
            services.revoke_families([token.family_id], "revoked_by_client")
        elif isinstance(token, AccessToken):
            tokens.revoke_access_token(token)


class AccessTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> AccessToken | None:
        return tokens.find_access_token(token_string)

    def validate_token(self, token: AccessToken | None, scopes: Any, request: Any) -> None:
        super().validate_token(token, scopes, request)  # refuses a missing token
        person = token.get_user() if token is not None else None
        if person is None or not person.is_active:  # a client's own token has no person to describe
            raise InvalidTokenError()


class AccessEndpoint(TokenEndpoint):
    """``POST /access`` with ``sub``: the person's ``orgs``, ``roles`` and ``orgs_version`` for the calling client.

    Only confidential clients, authenticated with their secret: this is how a client
    re-reads a person's list when Panda's access event says it changed, whether or not
    the person is signed in there. An unknown ``sub`` is a 404 (the client forgets the
    person's access).
    """

    ENDPOINT_NAME = "access"
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def create_endpoint_response(self, request: OAuth2Request) -> tuple[int, dict, list]:
        client: OidcClient = self.authenticate_endpoint_client(request)
        sub = request.form.get("sub")
        account = None
        if isinstance(sub, str) and len(sub) <= 64:
            try:
                account = db.session.get(Account, uuid.UUID(sub))
            except ValueError:
                account = None
        if account is None:
            return 404, {"error": "unknown_subject"}, default_json_headers
        snapshot = orgs_snapshot(account, client)
        body = {
            "sub": str(account.id),
            "orgs_version": snapshot.version,
            "orgs": snapshot.orgs,
            "roles": snapshot.roles,
            "held_back": held_back_claim(account, client),
        }
        return 200, body, default_json_headers


class PandaUserInfoEndpoint(UserInfoEndpoint):
    def __call__(self, request: OAuth2Request) -> tuple[int, dict, list]:
        token: AccessToken = self.resource_protector.acquire_token("openid")
        person = token.get_user()
        if person is None:  # refused by the validator already; a client's own token describes no one
            raise InvalidTokenError()
        claims = user_claims(person, token.get_client(), token.get_scope(), with_orgs=True)
        return 200, claims, default_json_headers


class PandaEndSessionEndpoint(EndSessionEndpoint):
    def get_server_jwks(self) -> KeySet:
        return KeySet([keys.public_key(row) for row in keys.all_keys()])

    def _validate_id_token_hint(self, id_token_hint: str) -> dict:
        # Any of Panda's keys, even retired ones: the hint may be old (expiry is
        # not checked either, per RP-Initiated Logout §2), but it must be an ID
        # token Panda issued, not some other JWT it signed.
        try:
            decoded = keys.decode(id_token_hint, typ=ID_TOKEN_TYPE, include_retired=True)
        except keys.InvalidToken:
            raise InvalidRequestError("The id_token_hint is not an ID token issued here.") from None
        claims = dict(decoded.claims)
        if claims.get("iss") != issuer() or not isinstance(claims.get("sub"), str) or not claims.get("aud"):
            raise InvalidRequestError("The id_token_hint is not an ID token issued here.")
        return claims

    def is_post_logout_redirect_uri_legitimate(
        self, request: OAuth2Request, post_logout_redirect_uri: str, client: Any, logout_hint: str | None
    ) -> bool:
        # Without an ID token, a client named by client_id whose registered address
        # matches exactly may be returned to, after the person confirmed.
        return bool(request.payload.data.get("client_id")) and client is not None

    def end_session(self, end_session_request: Any) -> None:
        from panda_portal.oidc.logout import end_panda_session

        end_panda_session(end_session_request.id_token_claims)


def create_server(app: Flask) -> PandaAuthorizationServer:
    server = PandaAuthorizationServer()
    server.init_app(
        app,
        query_client=services.get_client,
        # A client_credentials token is recorded as it is made (it has no person: ``request.user`` is None).
        save_token=lambda token, request: tokens.save_issued(request.user) if request.user is not None else None,
    )
    server.scopes_supported = list(ALL_SCOPES)
    server.register_client_auth_method("client_secret_basic", authenticate_client_secret_basic)
    server.register_token_generator("default", tokens.generate_token)
    server.register_grant(AuthorizationCodeGrant, [RequiredS256CodeChallenge(), OpenIDCodeExtension()])
    server.register_grant(RefreshTokenGrant, [IDTokenIssuer()])
    server.register_grant(ClientCredentialsGrant)
    server.register_extension(PandaIssuerParameter())
    server.register_endpoint(TokenRevocationEndpoint)
    server.register_endpoint(AccessEndpoint)
    from panda_portal.oidc.introspection import TokenIntrospectionEndpoint

    server.register_endpoint(TokenIntrospectionEndpoint)
    protector = ResourceProtector()
    protector.register_token_validator(AccessTokenValidator())
    server.register_endpoint(PandaUserInfoEndpoint(resource_protector=protector))
    server.register_endpoint(PandaEndSessionEndpoint)
    return server
