"""Token revocation (RFC 7009)."""

from __future__ import annotations

from tests.portal.oidc.helpers import Flow, basic_auth


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def revoke(flow: Flow, token: str, hint: str | None = None, secret: str | None = None):
    data = {"token": token}
    if hint:
        data["token_type_hint"] = hint
    return flow.browser.post("/revoke", data=data, headers=basic_auth(flow.rp.client_id, secret or flow.rp.secret))


def test_revoking_a_refresh_token_ends_its_whole_grant(flow, panda_client):
    tokens = flow.tokens()
    response = revoke(flow, tokens["refresh_token"], "refresh_token")
    assert response.status_code == 200
    assert flow.refresh(tokens["refresh_token"]).json["error"] == "invalid_grant"
    assert panda_client.get("/userinfo", headers=bearer(tokens["access_token"])).status_code == 401


def test_revoking_an_access_token_ends_only_that_token(flow, panda_client):
    tokens = flow.tokens()
    assert revoke(flow, tokens["access_token"], "access_token").status_code == 200
    assert panda_client.get("/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
    assert flow.refresh(tokens["refresh_token"]).status_code == 200


def test_revocation_works_without_a_hint_and_with_the_wrong_hint(flow):
    tokens = flow.tokens()
    assert revoke(flow, tokens["access_token"], "refresh_token").status_code == 200
    assert revoke(flow, tokens["refresh_token"]).status_code == 200
    assert flow.refresh(tokens["refresh_token"]).json["error"] == "invalid_grant"


def test_revoking_an_unknown_token_is_answered_with_success(flow):
    assert revoke(flow, "no-such-token").status_code == 200


def test_an_unsupported_hint_is_refused(flow):
    response = revoke(flow, "x", "saml_assertion")
    assert response.status_code >= 400 and response.json["error"] == "unsupported_token_type"


def test_a_client_cannot_revoke_another_clients_token(browser, make_rp):
    owner = Flow(browser, make_rp())
    other = Flow(browser, make_rp())
    tokens = owner.tokens()
    assert revoke(other, tokens["refresh_token"]).status_code == 400
    assert owner.refresh(tokens["refresh_token"]).status_code == 200


def test_revocation_requires_client_authentication(flow):
    tokens = flow.tokens()
    response = revoke(flow, tokens["refresh_token"], secret="wrong")
    assert response.status_code == 401
    assert flow.refresh(tokens["refresh_token"]).status_code == 200


def test_a_public_client_revokes_with_its_client_id(browser, make_rp):
    flow = Flow(browser, make_rp(public=True))
    tokens = flow.tokens()
    response = browser.post("/revoke", data={"token": tokens["refresh_token"], "client_id": flow.rp.client_id})
    assert response.status_code == 200
    assert flow.refresh(tokens["refresh_token"]).json["error"] == "invalid_grant"
