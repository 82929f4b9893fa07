from __future__ import annotations

from tests.portal.oidc.helpers import ISSUER


def test_discovery_advertises_exactly_what_panda_supports(panda_client):
    metadata = panda_client.get("/.well-known/openid-configuration").json
    assert metadata["issuer"] == ISSUER
    assert metadata["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert metadata["token_endpoint"] == f"{ISSUER}/token"
    assert metadata["userinfo_endpoint"] == f"{ISSUER}/userinfo"
    assert metadata["jwks_uri"] == f"{ISSUER}/jwks"
    assert metadata["revocation_endpoint"] == f"{ISSUER}/revoke"
    assert metadata["end_session_endpoint"] == f"{ISSUER}/end-session"
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token", "client_credentials"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["request_parameter_supported"] is False
    assert metadata["request_uri_parameter_supported"] is False
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True
    assert {"openid", "profile", "email", "orgs", "offline_access"} == set(metadata["scopes_supported"])
    assert {"orgs", "roles", "sid", "auth_time", "nonce", "email", "name", "locale"} <= set(
        metadata["claims_supported"]
    )


def test_discovery_names_every_endpoint_panda_serves(panda_client, panda):
    metadata = panda_client.get("/.well-known/openid-configuration").json
    rules = {rule.rule for rule in panda.url_map.iter_rules()}
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "introspection_endpoint",
        "end_session_endpoint",
    ):
        assert metadata[key].removeprefix(ISSUER) in rules


def test_the_jwks_publishes_a_public_rs256_signing_key_created_on_first_use(panda_client):
    keys = panda_client.get("/jwks").json["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert "d" not in key and "p" not in key  # never the private parts
    assert panda_client.get("/jwks").json["keys"] == keys
