"""The provider metadata at ``/.well-known/openid-configuration``: exactly what Panda does."""

from __future__ import annotations

from typing import Any

from flask import current_app

from panda_portal.oidc.claims import CLAIMS_SUPPORTED
from panda_portal.oidc.keys import ALGORITHM
from panda_portal.oidc.models import ACR_VALUES, SUPPORTED_SCOPES
from panda_portal.oidc.server import PKCE_METHOD, TOKEN_AUTH_METHODS


def provider_metadata() -> dict[str, Any]:
    issuer = current_app.config["PANDA_ISSUER"]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "revocation_endpoint": f"{issuer}/revoke",
        "introspection_endpoint": f"{issuer}/introspect",
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "end_session_endpoint": f"{issuer}/end-session",
        # Panda's own: a confidential client reads a person's ``orgs`` (server.AccessEndpoint).
        "access_endpoint": f"{issuer}/access",
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
        "code_challenge_methods_supported": [PKCE_METHOD],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "acr_values_supported": list(ACR_VALUES),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }
