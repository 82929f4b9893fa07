"""The authorization endpoint: who is sent back where, and with what."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.portal.oidc.helpers import ISSUER, REDIRECT_URI, Flow, query_of, sign_in_as, verify_jwt


def assert_error_page_without_redirect(response) -> None:
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "kan niet verwerkt worden" in response.get_data(as_text=True)  # the test accounts read Dutch


def assert_error_redirect(response, flow: Flow, error: str) -> dict:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = query_of(location)
    assert params["error"] == error, params
    assert params["iss"] == ISSUER
    assert params["state"] == flow.state
    assert "code" not in params
    return params


# -- the client and its redirect URI: refused on a page, never redirected -------------------
def test_an_unknown_client_gets_an_error_page_and_no_redirect(flow):
    assert_error_page_without_redirect(flow.authorize(client_id="nobody"))


def test_a_missing_client_id_gets_an_error_page(flow):
    assert_error_page_without_redirect(flow.authorize(client_id=None))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.test/callback",
        REDIRECT_URI + "/",
        REDIRECT_URI + "?next=https://evil.example.test",
        REDIRECT_URI.upper(),
        REDIRECT_URI + "#fragment",
        "https://rp.example.test/callback/../evil",
    ],
)
def test_a_redirect_uri_that_does_not_match_exactly_is_refused_without_redirect(flow, redirect_uri):
    assert_error_page_without_redirect(flow.authorize(redirect_uri=redirect_uri))


def test_a_missing_redirect_uri_is_refused_without_redirect(flow):
    assert_error_page_without_redirect(flow.authorize(redirect_uri=None))


def test_a_repeated_redirect_uri_is_refused_without_redirect(flow):
    query = urlencode(list(flow.params().items()) + [("redirect_uri", "https://evil.example.test/cb")])
    assert_error_page_without_redirect(flow.browser.get("/authorize?" + query))


# -- refusals that go back to the client, always with iss and state ------------------------
def test_a_request_object_is_answered_with_request_not_supported(flow):
    assert_error_redirect(flow.authorize(request="eyJhbGciOiJub25lIn0.e30."), flow, "request_not_supported")


def test_a_request_uri_is_answered_with_request_uri_not_supported(flow):
    assert_error_redirect(
        flow.authorize(request_uri="https://rp.example.test/req.jwt"), flow, "request_uri_not_supported"
    )


def test_plain_pkce_is_refused(flow):
    assert_error_redirect(
        flow.authorize(code_challenge=flow.verifier, code_challenge_method="plain"), flow, "invalid_request"
    )


def test_a_code_challenge_without_method_is_refused_because_it_would_mean_plain(flow):
    assert_error_redirect(flow.authorize(code_challenge_method=None), flow, "invalid_request")


def test_a_confidential_client_without_pkce_is_refused(flow):
    assert not flow.rp.public
    assert_error_redirect(flow.authorize(code_challenge=None, code_challenge_method=None), flow, "invalid_request")


def test_a_public_client_without_pkce_is_refused(browser, make_rp):
    flow = Flow(browser, make_rp(public=True))
    assert_error_redirect(flow.authorize(code_challenge=None, code_challenge_method=None), flow, "invalid_request")


def test_the_implicit_flow_is_not_offered(flow):
    assert_error_redirect(flow.authorize(response_type="token"), flow, "unsupported_response_type")
    assert_error_redirect(flow.authorize(response_type="id_token"), flow, "unsupported_response_type")


def test_a_request_without_the_openid_scope_is_refused(flow):
    assert_error_redirect(flow.authorize(scope="profile"), flow, "invalid_scope")


def test_an_unknown_scope_is_refused(flow):
    assert_error_redirect(flow.authorize(scope="openid admin"), flow, "invalid_scope")


def test_prompt_none_together_with_login_is_refused(flow):
    assert_error_redirect(flow.authorize(prompt="none login"), flow, "invalid_request")


@pytest.mark.parametrize("max_age", ["soon", "-1", "²", "1" * 40])
def test_a_malformed_max_age_is_refused(flow, max_age):
    assert_error_redirect(flow.authorize(max_age=max_age), flow, "invalid_request")


def test_an_overlong_nonce_is_refused(flow):
    assert_error_redirect(flow.authorize(nonce="n" * 256), flow, "invalid_request")


def test_repeated_scopes_are_granted_once(flow, panda_client):
    tokens = flow.tokens(scope=" ".join(["openid"] * 300 + ["email"]))
    assert tokens["scope"] == "openid email"


# -- success -------------------------------------------------------------------------------
def test_a_signed_in_person_goes_straight_back_with_a_code_state_and_iss(flow):
    response = flow.authorize()
    assert response.status_code == 302
    params = query_of(response.headers["Location"])
    assert set(params) == {"code", "state", "iss"}
    assert params["iss"] == ISSUER and params["state"] == flow.state


def test_the_authorization_endpoint_also_accepts_post(flow):
    response = flow.browser.post("/authorize", data=flow.params())
    assert response.status_code == 303
    follow = flow.browser.get(response.headers["Location"])
    assert query_of(follow.headers["Location"])["state"] == flow.state


def test_codes_are_stored_only_as_hashes(flow, panda_db):
    from sqlalchemy import select

    from panda_portal.oidc.models import AuthorizationCode

    code = flow.code()
    stored = panda_db.session.execute(select(AuthorizationCode.code_hash)).scalars().all()
    assert stored and code not in stored


# -- signing in ----------------------------------------------------------------------------
def test_an_anonymous_person_is_sent_to_sign_in_and_comes_back_to_the_same_request(panda_client, rp, account):
    flow = Flow(panda_client, rp)
    response = flow.authorize()
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in"
    next_url = parse_qs(location.query)["next"][0]
    assert next_url.startswith("/authorize?")
    assert query_of(next_url) == flow.params()

    sign_in_as(panda_client, account)
    back = panda_client.get(next_url)
    assert query_of(back.headers["Location"])["code"]


def test_an_invalid_request_is_refused_before_asking_anyone_to_sign_in(panda_client, rp):
    flow = Flow(panda_client, rp)
    response = flow.authorize(code_challenge_method="plain")
    assert_error_redirect(response, flow, "invalid_request")


def test_prompt_none_without_a_session_returns_login_required_with_iss(panda_client, rp):
    flow = Flow(panda_client, rp)
    assert_error_redirect(flow.authorize(prompt="none"), flow, "login_required")


def test_prompt_none_with_a_session_returns_a_code_without_showing_anything(flow):
    assert flow.code(prompt="none")


def test_prompt_login_asks_a_signed_in_person_to_sign_in_again_then_proceeds(panda_client, rp, account):
    old = int(time.time()) - 600
    sign_in_as(panda_client, account, auth_time=old)
    flow = Flow(panda_client, rp)
    response = flow.authorize(prompt="login")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in"
    next_url = parse_qs(location.query)["next"][0]

    # Coming back without having signed in again does not count.
    assert urlsplit(panda_client.get(next_url).headers["Location"]).path == "/sign-in"

    sign_in_as(panda_client, account)
    back = panda_client.get(next_url)
    params = query_of(back.headers["Location"])
    assert params["iss"] == ISSUER and params["state"] == flow.state
    tokens = flow.exchange(params["code"]).json
    assert verify_jwt(panda_client, tokens["id_token"]).claims["auth_time"] > old


def test_the_sign_in_mark_of_prompt_login_cannot_be_forged(panda_client, rp, account):
    sign_in_as(panda_client, account, auth_time=int(time.time()) - 600)
    flow = Flow(panda_client, rp)
    response = flow.authorize(prompt="login", login_ticket="1")
    assert urlsplit(response.headers["Location"]).path == "/sign-in"


def test_max_age_asks_for_a_new_sign_in_when_the_last_one_is_too_old(panda_client, rp, account):
    old = int(time.time()) - 3600
    sign_in_as(panda_client, account, auth_time=old)
    flow = Flow(panda_client, rp)
    response = flow.authorize(max_age="300")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in"

    sign_in_as(panda_client, account)
    back = panda_client.get(parse_qs(location.query)["next"][0])
    code = query_of(back.headers["Location"])["code"]
    claims = verify_jwt(panda_client, flow.exchange(code).json["id_token"]).claims
    assert claims["auth_time"] >= int(time.time()) - 300


def test_max_age_zero_does_not_loop_after_a_fresh_sign_in(panda_client, rp, account):
    sign_in_as(panda_client, account, auth_time=int(time.time()) - 5)
    flow = Flow(panda_client, rp)
    location = urlsplit(flow.authorize(max_age="0").headers["Location"])
    assert location.path == "/sign-in"
    sign_in_as(panda_client, account)
    back = panda_client.get(parse_qs(location.query)["next"][0])
    assert "code" in query_of(back.headers["Location"])


def test_a_recent_enough_sign_in_satisfies_max_age(panda_client, rp, account):
    sign_in_as(panda_client, account, auth_time=int(time.time()) - 10)
    assert Flow(panda_client, rp).code(max_age="300")


def test_prompt_none_with_a_too_old_sign_in_returns_login_required(panda_client, rp, account):
    sign_in_as(panda_client, account, auth_time=int(time.time()) - 3600)
    flow = Flow(panda_client, rp)
    assert_error_redirect(flow.authorize(prompt="none", max_age="60"), flow, "login_required")


def test_a_disabled_account_is_treated_as_signed_out(panda_client, rp, account, panda_db):
    from shared.database import utcnow

    sign_in_as(panda_client, account)
    account.disabled_at = utcnow()
    panda_db.session.commit()
    flow = Flow(panda_client, rp)
    assert_error_redirect(flow.authorize(prompt="none"), flow, "login_required")
