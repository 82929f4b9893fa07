"""Client registration."""

from __future__ import annotations

import pytest


def test_registering_a_client_returns_a_secret_that_is_stored_only_hashed(panda):
    from panda_portal.oidc.services import register_client

    client, secret = register_client(
        "community",
        ["https://community.example.test/callback"],
        post_logout_redirect_uris=["https://community.example.test/"],
        backchannel_logout_uri="https://community.example.test/bc",
        requires_grant="support_community",
    )
    assert secret and len(secret) >= 40
    assert secret not in (client.secret_hash or "")
    assert client.check_client_secret(secret)
    assert not client.check_client_secret(secret + "x")
    assert client.redirect_uris == ["https://community.example.test/callback"]
    assert client.post_logout_redirect_uris == ["https://community.example.test/"]
    assert client.required_grant == "support_community"
    assert client.token_endpoint_auth_method == "client_secret_basic"
    assert client.created_at is not None


def test_a_public_client_has_no_secret(panda):
    from panda_portal.oidc.services import register_client

    client, secret = register_client("spa", ["https://spa.example.test/cb"], public=True)
    assert secret is None and client.secret_hash is None and client.is_public
    assert client.token_endpoint_auth_method == "none"
    assert not client.check_client_secret("")


@pytest.mark.parametrize(
    "uris", [[], ["not a url"], ["ftp://x.example.test/cb"], ["https://x.example.test/cb#f"], ["/relative"]]
)
def test_bad_redirect_uris_are_refused(panda, uris):
    from panda_portal.oidc.services import ClientError, register_client

    with panda.test_request_context(), pytest.raises(ClientError):
        register_client("bad", uris)


def test_a_client_id_is_registered_once(panda):
    from panda_portal.oidc.services import ClientError, register_client

    register_client("twice", ["https://x.example.test/cb"])
    with panda.test_request_context(), pytest.raises(ClientError):
        register_client("twice", ["https://x.example.test/cb"])


def test_ensure_client_is_idempotent_and_can_set_a_known_secret(panda):
    from panda_portal.oidc.services import ensure_client, list_clients

    client, secret = ensure_client("demo", ["https://demo.example.test/cb"], secret="known-demo-secret")
    assert secret == "known-demo-secret" and client.check_client_secret("known-demo-secret")
    again, secret_again = ensure_client("demo", ["https://demo.example.test/cb2"])
    assert again.id == client.id and secret_again is None
    assert again.check_client_secret("known-demo-secret")
    assert again.redirect_uris == ["https://demo.example.test/cb2"]
    assert [c.client_id for c in list_clients()].count("demo") == 1


def test_ensure_client_generates_a_secret_for_a_new_client_when_none_is_given(panda):
    from panda_portal.oidc.services import ensure_client

    client, secret = ensure_client("fresh", ["https://fresh.example.test/cb"])
    assert secret and client.check_client_secret(secret)
