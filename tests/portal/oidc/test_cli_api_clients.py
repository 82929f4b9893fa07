"""``panda clients add … --grant-type client_credentials --api-scope …`` and ``panda clients access``."""

from __future__ import annotations

import json


def run(panda, *args: str):
    return panda.test_cli_runner().invoke(args=list(args))


def test_an_integration_is_registered_without_a_redirect_uri_and_gets_a_token(panda, panda_client):
    from tests.portal.oidc.helpers import basic_auth

    result = run(
        panda, "clients", "add", "vendor-sync", "--grant-type", "client_credentials", "--api-scope", "orgs:admin"
    )
    assert result.exit_code == 0, result.output
    secret = json.loads(result.output)["client_secret"]
    response = panda_client.post(
        "/token", data={"grant_type": "client_credentials"}, headers=basic_auth("vendor-sync", secret)
    )
    assert response.status_code == 200 and response.json["scope"] == "orgs:admin"
    listed = json.loads(run(panda, "clients", "list", "--json").output)
    assert listed[0]["grant_types"] == ["client_credentials"] and listed[0]["api_scopes"] == ["orgs:admin"]


def test_a_client_that_signs_people_in_still_needs_a_redirect_uri(panda):
    result = run(panda, "clients", "add", "web-app")
    assert result.exit_code != 0 and "redirect URI" in result.output


def test_a_public_client_cannot_use_client_credentials(panda):
    result = run(panda, "clients", "add", "spa", "--public", "--grant-type", "client_credentials")
    assert result.exit_code != 0 and "client_credentials" in result.output


def test_clients_access_changes_api_scopes_and_keeps_the_rest(panda):
    from panda_portal.oidc.services import get_client

    run(panda, "clients", "add", "community", "--redirect-uri", "https://c.example.test/callback")
    result = run(panda, "clients", "access", "community", "--api-scope", "cases:read", "--api-scope", "agent")
    assert result.exit_code == 0, result.output
    client = get_client("community")
    assert client.api_scopes == ["cases:read", "agent"]
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert client.redirect_uris == ["https://c.example.test/callback"]
    assert run(panda, "clients", "access", "community", "--no-api-scopes").exit_code == 0
    assert get_client("community").api_scopes == []
    assert run(panda, "clients", "access", "nobody", "--api-scope", "agent").exit_code != 0
