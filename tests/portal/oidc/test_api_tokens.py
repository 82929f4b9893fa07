"""API scopes and audiences in access tokens, client credentials, and token introspection (RFC 7662)."""

from __future__ import annotations

import pytest

from tests.portal.oidc.helpers import REDIRECT_URI, Flow, RelyingParty, basic_auth, verify_jwt

PANDA_API = "urn:panda:api"
COMMUNITY_API = "urn:support-community:api"


@pytest.fixture()
def api_rp(panda_db):
    """A client that signs people in and may be granted the Panda API's scopes."""
    from panda_portal.oidc.services import register_client

    client, secret = register_client("api-rp", [REDIRECT_URI], api_scopes=["orgs:read", "orgs:admin"])
    panda_db.session.commit()
    return RelyingParty("api-rp", secret)


@pytest.fixture()
def integration(panda_db):
    """The vendor's integration: client credentials only, with explicit scopes."""
    from panda_portal.oidc.services import register_client

    client, secret = register_client(
        "vendor-sync", [], grant_types=["client_credentials"], api_scopes=["orgs:read", "orgs:admin", "cases:read"]
    )
    panda_db.session.commit()
    return RelyingParty("vendor-sync", secret)


def client_token(panda_client, rp: RelyingParty, **data):
    return panda_client.post(
        "/token", data={"grant_type": "client_credentials", **data}, headers=basic_auth(rp.client_id, rp.secret)
    )


def introspect(panda_client, rp: RelyingParty, token: str):
    response = panda_client.post("/introspect", data={"token": token}, headers=basic_auth(rp.client_id, rp.secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.json


# -- scopes and audiences --------------------------------------------------------------------
def test_an_access_token_without_api_scopes_is_for_the_client_as_before(panda_client, flow):
    claims = verify_jwt(panda_client, flow.tokens()["access_token"]).claims
    assert claims["aud"] == flow.rp.client_id


def test_api_scopes_are_granted_only_when_registered_for_the_client(browser, flow):
    tokens = flow.tokens(scope="openid orgs:read")
    assert tokens["scope"] == "openid"  # this client has no API scope registered


def test_an_access_token_with_api_scopes_names_their_api_as_audience(browser, panda_client, api_rp):
    tokens = Flow(browser, api_rp).tokens(scope="openid orgs orgs:read orgs:admin")
    claims = verify_jwt(panda_client, tokens["access_token"]).claims
    assert claims["aud"] == PANDA_API
    assert claims["scope"] == "openid orgs orgs:read orgs:admin"
    assert verify_jwt(panda_client, tokens["id_token"]).claims["aud"] == "api-rp"


def test_a_refresh_with_a_resource_narrows_the_audience_and_refuses_an_unknown_one(browser, panda_client, api_rp):
    flow = Flow(browser, api_rp)
    tokens = flow.tokens(scope="openid orgs:read offline_access")
    unknown = flow.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "resource": "https://elsewhere"}
    )
    assert unknown.status_code == 400 and unknown.json["error"] == "invalid_target"
    # Refused before anything was used up: the refresh token still works.
    narrowed = flow.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "resource": PANDA_API}
    )
    assert narrowed.status_code == 200
    assert verify_jwt(panda_client, narrowed.json["access_token"]).claims["aud"] == PANDA_API


def test_an_api_scope_taken_from_the_client_is_not_in_its_next_refresh(browser, panda_client, panda_db, api_rp):
    from panda_portal.oidc.services import change_client_access

    flow = Flow(browser, api_rp)
    tokens = flow.tokens(scope="openid orgs:read orgs:admin offline_access")
    change_client_access("api-rp", api_scopes=["orgs:read"])
    panda_db.session.commit()
    refreshed = flow.refresh(tokens["refresh_token"]).json
    assert refreshed["scope"] == "openid orgs:read offline_access"
    assert verify_jwt(panda_client, refreshed["access_token"]).claims["scope"] == "openid orgs:read offline_access"


# -- client credentials ----------------------------------------------------------------------
def test_client_credentials_give_a_token_for_the_client_itself(panda_client, integration):
    response = client_token(panda_client, integration, scope="orgs:read orgs:admin")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "refresh_token" not in response.json
    claims = verify_jwt(panda_client, response.json["access_token"]).claims
    assert claims["sub"] == "vendor-sync" and claims["client_id"] == "vendor-sync"
    assert claims["aud"] == PANDA_API and claims["scope"] == "orgs:read orgs:admin"


def test_client_credentials_without_a_scope_get_every_registered_scope_and_both_audiences(panda_client, integration):
    claims = verify_jwt(panda_client, client_token(panda_client, integration).json["access_token"]).claims
    assert claims["scope"] == "orgs:read orgs:admin cases:read"
    assert claims["aud"] == [PANDA_API, COMMUNITY_API]
    narrowed = client_token(panda_client, integration, resource=COMMUNITY_API).json
    assert verify_jwt(panda_client, narrowed["access_token"]).claims["aud"] == COMMUNITY_API
    assert narrowed["scope"] == "cases:read"


def test_client_credentials_refuse_a_scope_not_registered_for_the_client(panda_client, integration):
    response = client_token(panda_client, integration, scope="orgs:read agent")
    assert response.status_code == 400 and response.json["error"] == "invalid_scope"
    response = client_token(panda_client, integration, scope="openid")
    assert response.status_code == 400 and response.json["error"] == "invalid_scope"


def test_client_credentials_need_the_right_secret(panda_client, integration):
    response = panda_client.post(
        "/token", data={"grant_type": "client_credentials"}, headers=basic_auth("vendor-sync", "wrong")
    )
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_a_client_credentials_token_opens_no_userinfo(panda_client, integration):
    token = client_token(panda_client, integration).json["access_token"]
    response = panda_client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (401, 403)


def test_a_client_credentials_token_can_be_revoked_and_is_then_inactive(panda_client, integration):
    token = client_token(panda_client, integration).json["access_token"]
    assert introspect(panda_client, integration, token)["active"] is True
    revoked = panda_client.post("/revoke", data={"token": token}, headers=basic_auth("vendor-sync", integration.secret))
    assert revoked.status_code == 200
    assert introspect(panda_client, integration, token) == {"active": False}


# -- introspection ---------------------------------------------------------------------------
def test_introspection_describes_the_clients_own_access_token(browser, panda_client, api_rp, account):
    tokens = Flow(browser, api_rp).tokens(scope="openid orgs:read")
    answer = introspect(panda_client, api_rp, tokens["access_token"])
    assert answer["active"] is True and answer["token_type"] == "access_token"
    assert answer["sub"] == str(account.id) and answer["client_id"] == "api-rp"
    assert answer["scope"] == "openid orgs:read" and answer["aud"] == PANDA_API
    assert answer["exp"] > answer["iat"]


def test_introspection_by_another_client_says_inactive(browser, panda_client, api_rp, integration):
    tokens = Flow(browser, api_rp).tokens(scope="openid orgs:read offline_access")
    assert introspect(panda_client, integration, tokens["access_token"]) == {"active": False}
    assert introspect(panda_client, integration, tokens["refresh_token"]) == {"active": False}
    assert introspect(panda_client, api_rp, tokens["refresh_token"])["active"] is True


def test_a_used_refresh_token_is_inactive_and_a_replayed_one_ends_its_grant(browser, panda_client, api_rp):
    flow = Flow(browser, api_rp)
    first = flow.tokens(scope="openid orgs:read offline_access")
    second = flow.refresh(first["refresh_token"]).json
    assert introspect(panda_client, api_rp, first["refresh_token"]) == {"active": False}
    assert introspect(panda_client, api_rp, second["refresh_token"])["active"] is True
    assert flow.refresh(first["refresh_token"]).status_code == 400  # replayed: the grant ends
    assert introspect(panda_client, api_rp, second["refresh_token"]) == {"active": False}
    assert introspect(panda_client, api_rp, second["access_token"]) == {"active": False}


def test_introspection_is_for_confidential_clients_only(browser, panda_client, make_rp):
    public = make_rp(public=True)
    response = panda_client.post("/introspect", data={"token": "x", "client_id": public.client_id})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert panda_client.post("/introspect", data={"token": "x"}).status_code == 401


def test_introspection_of_garbage_is_inactive_or_a_clear_error(panda_client, api_rp):
    assert introspect(panda_client, api_rp, "a.b.c") == {"active": False}
    assert introspect(panda_client, api_rp, "pat_nothing") == {"active": False}
    control = panda_client.post("/introspect", data={"token": "\x00"}, headers=basic_auth("api-rp", api_rp.secret))
    assert control.status_code == 400  # refused before it reaches the endpoint (input guard)
    missing = panda_client.post("/introspect", data={}, headers=basic_auth("api-rp", api_rp.secret))
    assert missing.status_code == 400


def test_discovery_advertises_introspection(panda_client):
    metadata = panda_client.get("/.well-known/openid-configuration").json
    assert metadata["introspection_endpoint"].endswith("/introspect")
    assert "client_credentials" in metadata["grant_types_supported"]
