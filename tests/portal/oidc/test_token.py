"""The token endpoint: code exchange, refresh rotation, client authentication, the tokens themselves."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from tests.portal.oidc.helpers import ISSUER, Flow, jwks_of, verify_jwt


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def userinfo_status(client, access_token: str) -> int:
    return client.get("/userinfo", headers=bearer(access_token)).status_code


def error_of(response) -> str:
    return response.json["error"]


# -- exchanging a code ---------------------------------------------------------------------
def test_a_code_is_exchanged_for_an_access_token_an_id_token_and_a_refresh_token(flow):
    response = flow.exchange(flow.code())
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert {"access_token", "id_token", "refresh_token", "scope"} <= set(body)
    assert response.headers["Cache-Control"] == "no-store"


def test_confidential_clients_may_use_client_secret_post(flow):
    assert flow.exchange(flow.code(), auth="post").status_code == 200


def test_public_clients_authenticate_with_pkce_alone(browser, make_rp):
    flow = Flow(browser, make_rp(public=True))
    response = flow.exchange(flow.code(), auth="none")
    assert response.status_code == 200
    assert "refresh_token" in response.json


def test_the_token_endpoint_needs_no_csrf_token(flow):
    # CSRF protection is on in tests; clients post here without any form of ours.
    assert flow.exchange(flow.code()).status_code == 200


def test_the_id_token_carries_iss_aud_sub_nonce_auth_time_and_sid_and_is_rs256_signed(panda_client, flow, account):
    sid = "session-sid-1"
    from tests.portal.oidc.helpers import sign_in_as

    sign_in_as(panda_client, account, auth_time=1_700_000_000, sid=sid)
    tokens = flow.tokens()
    decoded = verify_jwt(panda_client, tokens["id_token"])
    assert decoded.header["alg"] == "RS256"
    assert decoded.header["kid"] in {k["kid"] for k in panda_client.get("/jwks").json["keys"]}
    claims = decoded.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == flow.rp.client_id
    assert claims["sub"] == str(account.id)
    assert claims["nonce"] == flow.nonce
    assert claims["auth_time"] == 1_700_000_000
    assert claims["sid"] == sid
    assert claims["exp"] - claims["iat"] == panda_client.application.config["ID_TOKEN_SECONDS"]
    assert claims["at_hash"]


def test_the_access_token_is_an_rfc9068_jwt_valid_five_minutes(panda_client, flow, account):
    tokens = flow.tokens()
    decoded = verify_jwt(panda_client, tokens["access_token"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.header["alg"] == "RS256"
    claims = decoded.claims
    assert claims["iss"] == ISSUER
    assert claims["sub"] == str(account.id)
    assert claims["aud"] == flow.rp.client_id
    assert claims["client_id"] == flow.rp.client_id
    assert claims["exp"] - claims["iat"] == 300
    assert claims["jti"]
    assert claims["scope"] == "openid profile email orgs"


def test_the_same_claims_are_in_the_id_token_the_access_token_and_userinfo_which_alone_lists_the_orgs(
    panda_client, flow, make_account, monkeypatch
):
    from panda_portal.oidc import claims as claims_module

    org = {
        "id": "5f0c4b1e-0000-4000-8000-000000000001",
        "name": "Bakkerij Peeters BV",
        "enterprise_number": "0403.170.701",
        "customer_number": "100234",
        "role": "member",
    }
    monkeypatch.setattr(claims_module, "orgs_claim", lambda account, client: [org])
    agent = make_account(support_agent=True, name="Agent Ann", language="fr")
    from tests.portal.oidc.helpers import sign_in_as

    sign_in_as(panda_client, agent)
    tokens = flow.tokens()
    id_claims = verify_jwt(panda_client, tokens["id_token"]).claims
    access_claims = verify_jwt(panda_client, tokens["access_token"]).claims
    userinfo = panda_client.get("/userinfo", headers=bearer(tokens["access_token"])).json
    expected = {
        "sub": str(agent.id),
        "name": "Agent Ann",
        "locale": "fr",
        "email": agent.email,
        "email_verified": True,
        "roles": ["support_agent"],
        "orgs_version": 1,
    }
    for source in (id_claims, access_claims, userinfo):
        assert {key: source.get(key) for key in expected} == expected
    # The list itself is too large for a header or a URL: only userinfo carries it.
    assert userinfo["orgs"] == [org]
    assert "orgs" not in id_claims and "orgs" not in access_claims


def test_claims_follow_the_scopes(flow, panda_client):
    tokens = flow.tokens(scope="openid")
    claims = verify_jwt(panda_client, tokens["id_token"]).claims
    assert not {"name", "email", "orgs", "roles", "locale"} & set(claims)
    userinfo = panda_client.get("/userinfo", headers=bearer(tokens["access_token"])).json
    assert set(userinfo) == {"sub"}


def test_people_who_are_not_support_agents_have_no_roles(flow, panda_client):
    tokens = flow.tokens()
    assert verify_jwt(panda_client, tokens["id_token"]).claims["roles"] == []


# -- refusals ------------------------------------------------------------------------------
def test_a_reused_code_is_refused_and_revokes_what_it_gave(flow, panda_client):
    code = flow.code()
    first = flow.exchange(code)
    assert first.status_code == 200
    tokens = first.json
    assert userinfo_status(panda_client, tokens["access_token"]) == 200

    again = flow.exchange(code)
    assert again.status_code == 400 and error_of(again) == "invalid_grant"
    assert userinfo_status(panda_client, tokens["access_token"]) == 401
    refused = flow.refresh(tokens["refresh_token"])
    assert refused.status_code == 400 and error_of(refused) == "invalid_grant"


def test_an_expired_code_is_refused(flow, panda_db):
    from panda_portal.oidc.models import AuthorizationCode
    from shared.database import utcnow

    code = flow.code()
    panda_db.session.execute(update(AuthorizationCode).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    panda_db.session.commit()
    response = flow.exchange(code)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


def test_an_unknown_code_is_refused(flow):
    response = flow.exchange("not-a-code")
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


def test_a_wrong_code_verifier_is_refused_and_the_code_stays_usable_for_its_owner(flow):
    code = flow.code()
    response = flow.exchange(code, code_verifier="x" * 64)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"
    assert flow.exchange(code).status_code == 200


def test_a_missing_code_verifier_is_refused_for_confidential_clients_too(flow):
    response = flow.exchange(flow.code(), code_verifier=None)
    assert response.status_code == 400 and error_of(response) == "invalid_request"


def test_a_different_redirect_uri_at_the_token_endpoint_is_refused(flow):
    response = flow.exchange(flow.code(), redirect_uri="https://rp.example.test/other")
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


def test_a_code_issued_to_another_client_is_refused(browser, make_rp):
    owner = Flow(browser, make_rp())
    thief = Flow(browser, make_rp(), verifier=owner.verifier)
    response = thief.exchange(owner.code())
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_a_wrong_client_secret_is_refused(flow, auth):
    response = flow.token_request(
        {
            "grant_type": "authorization_code",
            "code": flow.code(),
            "redirect_uri": flow.rp.redirect_uri,
            "code_verifier": flow.verifier,
        },
        auth=auth,
        secret="wrong-secret",
    )
    assert response.status_code in (400, 401) and error_of(response) == "invalid_client"


def test_a_confidential_client_cannot_skip_its_secret(flow):
    response = flow.exchange(flow.code(), auth="none")
    assert error_of(response) == "invalid_client"


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_a_public_client_cannot_authenticate_with_a_secret(browser, make_rp, auth):
    flow = Flow(browser, make_rp(public=True))
    response = flow.exchange(flow.code(), auth=auth, secret="made-up-secret")
    assert error_of(response) == "invalid_client"


@pytest.mark.parametrize("grant_type", ["password", "implicit"])
def test_other_grant_types_are_not_offered(flow, grant_type):
    response = flow.token_request({"grant_type": grant_type, "username": "a", "password": "b"})
    assert response.status_code == 400 and error_of(response) == "unsupported_grant_type"


def test_client_credentials_are_refused_to_a_client_not_registered_for_them(flow):
    response = flow.token_request({"grant_type": "client_credentials"})
    assert response.status_code == 400 and error_of(response) == "unauthorized_client"


def test_a_token_request_with_garbage_is_a_clear_error_not_a_crash(flow, panda_client):
    assert panda_client.post("/token", data={}).status_code == 400
    assert panda_client.post("/token", data={"grant_type": "authorization_code"}).status_code in (400, 401)
    assert panda_client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": "\x00"}, headers={"Authorization": "Basic !!!"}
    ).status_code in (400, 401)


# -- refresh tokens ------------------------------------------------------------------------
def test_refresh_tokens_rotate_and_give_fresh_tokens(flow, panda_client, account):
    first = flow.tokens()
    response = flow.refresh(first["refresh_token"])
    assert response.status_code == 200
    second = response.json
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["expires_in"] == 300
    id_claims = verify_jwt(panda_client, second["id_token"]).claims
    assert id_claims["sub"] == str(account.id) and id_claims["iss"] == ISSUER
    assert "nonce" not in id_claims
    assert id_claims["auth_time"] == verify_jwt(panda_client, first["id_token"]).claims["auth_time"]
    assert flow.refresh(second["refresh_token"]).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(flow, panda_client):
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json

    replay = flow.refresh(first["refresh_token"])
    assert replay.status_code == 400 and error_of(replay) == "invalid_grant"
    assert error_of(flow.refresh(second["refresh_token"])) == "invalid_grant"
    assert userinfo_status(panda_client, second["access_token"]) == 401
    assert userinfo_status(panda_client, first["access_token"]) == 401


def test_refresh_tokens_are_stored_only_as_hashes(flow, panda_db):
    from panda_portal.oidc.models import RefreshToken

    token = flow.tokens()["refresh_token"]
    stored = panda_db.session.execute(select(RefreshToken.token_hash)).scalars().all()
    assert stored and token not in stored


def test_a_refresh_token_only_works_for_its_own_client(browser, make_rp):
    owner = Flow(browser, make_rp())
    other = Flow(browser, make_rp())
    tokens = owner.tokens()
    assert error_of(other.refresh(tokens["refresh_token"])) == "invalid_grant"


def test_an_expired_refresh_token_is_refused(flow, panda_db):
    from panda_portal.oidc.models import RefreshToken
    from shared.database import utcnow

    tokens = flow.tokens()
    panda_db.session.execute(update(RefreshToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    panda_db.session.commit()
    assert error_of(flow.refresh(tokens["refresh_token"])) == "invalid_grant"


def test_a_refresh_token_stops_working_when_the_account_is_disabled(flow, account, panda_db):
    from shared.database import utcnow

    tokens = flow.tokens()
    account.disabled_at = utcnow()
    panda_db.session.commit()
    assert error_of(flow.refresh(tokens["refresh_token"])) == "invalid_grant"


def test_a_refresh_token_of_an_account_that_lost_its_verified_address_stops_working(flow, account, panda_db):
    tokens = flow.tokens()
    account.email_verified_at = None
    panda_db.session.commit()
    assert error_of(flow.refresh(tokens["refresh_token"])) == "invalid_grant"


def test_a_refresh_token_of_a_revoked_grant_is_refused_without_being_used_up(flow, panda_db):
    from panda_portal.oidc.models import RefreshToken, TokenFamily
    from shared.database import utcnow

    tokens = flow.tokens()
    panda_db.session.execute(update(TokenFamily).values(revoked_at=utcnow(), revoked_reason="revoked_by_client"))
    panda_db.session.commit()
    assert error_of(flow.refresh(tokens["refresh_token"])) == "invalid_grant"
    assert panda_db.session.execute(select(RefreshToken.rotated_at)).scalars().all() == [None]


def test_a_refresh_asking_for_a_scope_never_granted_is_refused_and_leaves_the_token_usable(flow, panda_client):
    tokens = flow.tokens()
    wider = flow.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "openid admin"},
        auth=flow.default_auth(),
    )
    assert wider.status_code == 400 and error_of(wider) == "invalid_scope"

    narrower = flow.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "openid"},
        auth=flow.default_auth(),
    )
    assert narrower.status_code == 200, narrower.get_data(as_text=True)
    assert narrower.json["scope"] == "openid"
    claims = verify_jwt(panda_client, narrower.json["id_token"]).claims
    assert "email" not in claims and "orgs_version" not in claims


def test_a_nonce_cannot_be_used_twice_by_the_same_client(flow):
    flow.tokens()
    response = flow.authorize()
    assert "error" in response.headers["Location"] and "code=" not in response.headers["Location"]


def test_a_client_without_the_refresh_grant_gets_no_refresh_token(flow, panda_db):
    from panda_portal.oidc.services import get_client

    client = get_client(flow.rp.client_id)
    client.grant_types = ["authorization_code"]
    panda_db.session.commit()
    assert "refresh_token" not in flow.tokens()


def test_tokens_signed_before_a_key_rotation_still_verify(flow, panda_client, panda_db):
    from panda_portal.oidc import keys

    before = flow.tokens()
    keys.rotate()
    panda_db.session.commit()
    after = Flow(flow.browser, flow.rp).tokens()
    old_kid = verify_jwt(panda_client, before["id_token"]).header["kid"]
    new_kid = verify_jwt(panda_client, after["id_token"]).header["kid"]
    assert old_kid != new_kid
    assert {old_kid, new_kid} <= {k.kid for k in jwks_of(panda_client).keys}
    assert userinfo_status(panda_client, before["access_token"]) == 200


def test_behind_a_tls_proxy_plain_http_requests_are_accepted_for_an_https_issuer(panda, monkeypatch):
    monkeypatch.setitem(panda.config, "PANDA_ISSUER", "https://panda.example.test")
    proxied = panda.test_client()
    response = proxied.post(
        "/token", data={"grant_type": "authorization_code", "code": "x"}, base_url="http://10.1.2.3"
    )
    assert response.json["error"] == "invalid_client"


def test_plain_http_from_afar_with_an_http_issuer_is_a_clear_error(panda):
    response = panda.test_client().post("/token", data={"grant_type": "authorization_code"}, base_url="http://10.1.2.3")
    assert response.status_code == 400 and response.json["error"] == "insecure_transport"
