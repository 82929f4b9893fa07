"""Panda as seen from the community: discovery, signing keys and the Authlib client.

Everything the community learns about Panda's endpoints comes from its discovery
document at ``{PANDA_ISSUER}/.well-known/openid-configuration``. When the server
reaches Panda at another address than browsers do (``PANDA_INTERNAL_URL``, say a
cluster-internal service name), the discovery document, the token endpoint, the
JWKS and userinfo are fetched there; the authorization and end-session endpoints
stay on the public issuer because the browser visits them.

Discovery and JWKS are kept in process memory for a while to save round trips.
That is a cache only: an unknown key id triggers a fresh JWKS fetch, and every
process can start empty.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import requests
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.oidc.core import CodeIDToken, UserInfo
from flask import Flask, current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from joserfc.jwt import Token

from shared.logs import outgoing_headers

# No offline_access: the community's access ends with the person's Panda session (signing
# out of Panda revokes its refresh token), and nothing here works while the person is away.
SCOPES = "openid profile email orgs"
SIGNING_ALGORITHMS = ["RS256"]
EXTENSION_KEY = "support_community.panda"

# Endpoints the community's server calls itself (rewritten to PANDA_INTERNAL_URL when set).
SERVER_SIDE_ENDPOINTS = (
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "revocation_endpoint",
    "introspection_endpoint",
    "access_endpoint",
)


class ProviderUnavailable(Exception):
    """Panda could not be reached, timed out, or answered with a server error."""


class PandaOAuthApp(FlaskOAuth2App):
    """Authlib's Flask client, fed from the community's own discovery and JWKS cache."""

    provider: PandaProvider

    def load_server_metadata(self) -> dict:
        return self.provider.authlib_metadata()

    def fetch_jwk_set(self, force: bool = False) -> dict:
        return self.provider.jwks(force=force)

    def parse_id_token(self, token, nonce, claims_options=None, claims_cls=None, leeway=120) -> UserInfo | None:
        """Authlib's ID token check (iss, aud, exp, iat, nonce, at_hash), with the community's decoder.

        The decoder allows RS256 only, refetches the JWKS for an unknown key id, and
        accepts the large ID tokens of people with many organizations.
        """
        if "id_token" not in token:
            return None
        decoded = self.provider.decode(token["id_token"])
        params = {"nonce": nonce, "client_id": self.client_id, "access_token": token.get("access_token")}
        claims = (claims_cls or CodeIDToken)(decoded.claims, decoded.header, claims_options, params)
        claims.validate(leeway=leeway)
        return UserInfo(claims)


class PandaProvider:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._metadata: dict | None = None
        self._metadata_fetched_at = 0.0
        self._jwks: dict | None = None
        self._jwks_fetched_at = 0.0
        oauth = OAuth(app)
        self.client: PandaOAuthApp = oauth.register(
            "panda",
            client_cls=PandaOAuthApp,
            client_id=app.config["COMMUNITY_CLIENT_ID"],
            client_secret=app.config.get("COMMUNITY_CLIENT_SECRET"),
            client_kwargs={"scope": SCOPES, "code_challenge_method": "S256"},
        )
        self.client.provider = self

    # -- settings (read per call so that a test or an operator can change them) --------
    @property
    def config(self) -> dict:
        return self.app.config

    @property
    def issuer(self) -> str:
        return self.config["PANDA_ISSUER"].rstrip("/")

    @property
    def server_base(self) -> str:
        return (self.config.get("PANDA_INTERNAL_URL") or self.issuer).rstrip("/")

    @property
    def client_id(self) -> str:
        return self.config["COMMUNITY_CLIENT_ID"]

    @property
    def timeout(self) -> float:
        return float(self.config["OIDC_HTTP_TIMEOUT"])

    @property
    def redirect_uri(self) -> str:
        return self.config["COMMUNITY_URL"].rstrip("/") + "/auth/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return self.config["COMMUNITY_URL"].rstrip("/") + "/"

    def clear_cache(self) -> None:
        with self._lock:
            self._metadata = None
            self._jwks = None
            self._metadata_fetched_at = self._jwks_fetched_at = 0.0

    # -- HTTP -------------------------------------------------------------------------
    def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET a JSON document from Panda; any transport or server failure is ``ProviderUnavailable``."""
        try:
            headers = {**outgoing_headers(), **kwargs.pop("headers", {})}
            response = requests.get(url, timeout=self.timeout, headers=headers, **kwargs)
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"{url}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise ProviderUnavailable(f"{url}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"{url}: not JSON") from exc

    # -- discovery --------------------------------------------------------------------
    def metadata(self) -> dict:
        ttl = float(self.config["OIDC_METADATA_TTL"])
        with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata_fetched_at < ttl:
                return self._metadata
        document = self.get_json(self.server_base + "/.well-known/openid-configuration")
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            # OpenID Connect Discovery 1.0, section 4.3: the issuer must match exactly.
            raise ProviderUnavailable("discovery document names another issuer")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise ProviderUnavailable(f"discovery document lacks {name}")
        document = self._rewrite_for_server(document)
        with self._lock:
            self._metadata = document
            self._metadata_fetched_at = time.monotonic()
        return document

    def _rewrite_for_server(self, document: dict) -> dict:
        internal = self.server_base
        if internal == self.issuer:
            return document
        rewritten = dict(document)
        for name in SERVER_SIDE_ENDPOINTS:
            value = rewritten.get(name)
            if isinstance(value, str) and value.startswith(self.issuer + "/"):
                rewritten[name] = internal + value[len(self.issuer) :]
        return rewritten

    def authlib_metadata(self) -> dict:
        """The part of the discovery document Authlib's client needs, with our policy applied."""
        document = self.metadata()
        supported = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        auth_method = "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"
        return {
            "issuer": document["issuer"],
            "authorization_endpoint": document["authorization_endpoint"],
            "token_endpoint": document["token_endpoint"],
            "jwks_uri": document["jwks_uri"],
            "userinfo_endpoint": document.get("userinfo_endpoint"),
            "end_session_endpoint": document.get("end_session_endpoint"),
            "id_token_signing_alg_values_supported": SIGNING_ALGORITHMS,
            "token_endpoint_auth_method": auth_method,
        }

    def endpoint(self, name: str) -> str | None:
        value = self.metadata().get(name)
        return value if isinstance(value, str) else None

    # -- calls authenticated as the community (client credentials) ----------------------------
    def _client_post(self, name: str, data: dict[str, str]) -> requests.Response:
        url = self.endpoint(name)
        if not url:
            raise ProviderUnavailable(f"Panda publishes no {name}")
        try:
            return requests.post(
                url,
                data=data,
                auth=(self.client_id, self.config.get("COMMUNITY_CLIENT_SECRET") or ""),
                headers={"Accept": "application/json", **outgoing_headers()},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"{name}: {type(exc).__name__}") from exc

    def read_access(self, sub: str) -> dict | None:
        """Panda's access read: the person's ``orgs``, ``roles`` and ``orgs_version``; None for someone unknown.

        Anything else than an answer about ``sub`` is ``ProviderUnavailable`` (the caller
        keeps what it has, without what was withdrawn, and tries again later).
        """
        response = self._client_post("access_endpoint", {"sub": sub})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProviderUnavailable(f"access read: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise ProviderUnavailable("access read: not JSON") from exc
        if not isinstance(answer, dict) or answer.get("sub") != sub or not isinstance(answer.get("orgs"), list):
            raise ProviderUnavailable("access read: not an answer about this person")
        return answer

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """RFC 7009: Panda ends the grant of this refresh token (and its access tokens)."""
        response = self._client_post(
            "revocation_endpoint", {"token": refresh_token, "token_type_hint": "refresh_token"}
        )
        if response.status_code != 200:
            raise ProviderUnavailable(f"revocation: HTTP {response.status_code}")

    @property
    def sends_iss_parameter(self) -> bool:
        return self.metadata().get("authorization_response_iss_parameter_supported") is True

    # -- signing keys -----------------------------------------------------------------
    def jwks(self, force: bool = False) -> dict:
        ttl = float(self.config["OIDC_JWKS_TTL"])
        min_interval = float(self.config["OIDC_JWKS_MIN_REFETCH_SECONDS"])
        now = time.monotonic()
        with self._lock:
            age = now - self._jwks_fetched_at
            if self._jwks is not None and (age < min_interval or (not force and age < ttl)):
                return self._jwks
        document = self.get_json(self.metadata()["jwks_uri"])
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ProviderUnavailable("JWKS is not a key set")
        with self._lock:
            self._jwks = document
            self._jwks_fetched_at = time.monotonic()
        return document

    def key_set(self, *, force: bool = False) -> KeySet:
        """Panda's signing keys (the JWKS, checked to hold a list of keys) as joserfc reads them."""
        return KeySet.import_key_set({"keys": self.jwks(force=force)["keys"]})

    def decode(self, value: str, *, algorithms: Iterable[str] = SIGNING_ALGORITHMS) -> Token:
        """Verify a JWT's signature with Panda's keys (fetching them again for an unknown key id).

        Raises joserfc's ``JoseError`` subclasses for anything wrong with the token, and
        ``ProviderUnavailable`` when the keys cannot be fetched.
        """
        registry = JWSRegistry(algorithms=list(algorithms), strict_check_header=False)
        # Tokens carry every organization of the person; an accountant may have thousands,
        # far beyond joserfc's default payload limit of 128 kB.
        registry.max_payload_length = int(self.config["OIDC_MAX_TOKEN_BYTES"])
        try:
            return jwt.decode(value, self.key_set(), registry=registry)
        except InvalidKeyIdError:
            return jwt.decode(value, self.key_set(force=True), registry=registry)


def init_provider(app: Flask) -> PandaProvider:
    provider = PandaProvider(app)
    app.extensions[EXTENSION_KEY] = provider
    return provider


def panda(app: Flask | None = None) -> PandaProvider:
    """The current app's view of Panda."""
    return (app or current_app).extensions[EXTENSION_KEY]
