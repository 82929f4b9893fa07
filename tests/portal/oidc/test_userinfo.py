"""The userinfo endpoint: current claims for a valid access token, 401 otherwise."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from tests.portal.oidc.helpers import Flow, sign_in_as


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_userinfo_answers_get_and_post_with_the_current_claims(flow, panda_client, account, panda_db):
    token = flow.tokens()["access_token"]
    account.name = "Renamed Person"
    panda_db.session.commit()
    for method in (panda_client.get, panda_client.post):
        response = method("/userinfo", headers=bearer(token))
        assert response.status_code == 200
        body = response.json
        assert body["sub"] == str(account.id)
        assert body["name"] == "Renamed Person"
        assert body["orgs"] == [] and body["roles"] == []


def test_userinfo_includes_roles_for_support_agents(panda_client, rp, make_account):
    agent = make_account(support_agent=True)
    sign_in_as(panda_client, agent)
    token = Flow(panda_client, rp).tokens()["access_token"]
    assert panda_client.get("/userinfo", headers=bearer(token)).json["roles"] == ["support_agent"]


def test_userinfo_without_a_token_is_refused(panda_client):
    response = panda_client.get("/userinfo")
    assert response.status_code in (401, 403)
    assert "error" in response.json


def test_userinfo_refuses_a_tampered_token(flow, panda_client):
    token = flow.tokens()["access_token"]
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload[:-2]}AA.{signature}"
    for value in (tampered, "garbage", "a.b.c", "é.è.à"):
        response = panda_client.get("/userinfo", headers=bearer(value))
        assert response.status_code == 401
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_userinfo_refuses_an_id_token_used_as_access_token(flow, panda_client):
    id_token = flow.tokens()["id_token"]
    assert panda_client.get("/userinfo", headers=bearer(id_token)).status_code == 401


def test_userinfo_refuses_an_expired_access_token(flow, panda_client, panda_db):
    from panda_portal.oidc.models import AccessToken
    from shared.database import utcnow

    token = flow.tokens()["access_token"]
    panda_db.session.execute(update(AccessToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    panda_db.session.commit()
    assert panda_client.get("/userinfo", headers=bearer(token)).status_code == 401


def test_userinfo_refuses_the_token_of_a_disabled_account(flow, panda_client, account, panda_db):
    from shared.database import utcnow

    token = flow.tokens()["access_token"]
    account.disabled_at = utcnow()
    panda_db.session.commit()
    assert panda_client.get("/userinfo", headers=bearer(token)).status_code == 401


def test_userinfo_needs_the_openid_scope_in_the_token(flow, panda_client):
    tokens = flow.tokens()
    refreshed = flow.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "profile"}
    )
    assert refreshed.status_code == 200
    assert panda_client.get("/userinfo", headers=bearer(refreshed.json["access_token"])).status_code == 403
