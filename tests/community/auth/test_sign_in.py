"""Signing in through Panda: authorization code + PKCE, and every way the answer can be wrong."""

from __future__ import annotations

import base64
import hashlib

import pytest
from sqlalchemy import select

from support_community.auth.models import WebSession
from tests.community.auth.fake_op import FORGED_KEY, org, path_of, query_of, sign_in, visit_panda


def start(client, next_url="/"):
    response = client.get("/auth/sign-in", query_string={"next": next_url})
    assert response.status_code == 302
    return response.headers["Location"]


def come_back(client, authorize_url):
    """Follow the authorize URL at Panda and bring its answer back to the community's callback."""
    answer = visit_panda(authorize_url)
    assert answer.status_code == 302, answer.text
    return client.get(path_of(answer.headers["Location"]))


@pytest.fixture()
def ann(fake_panda):
    user = fake_panda.add_user(
        orgs=[org("Bakkerij Peeters BV", enterprise_number="0403.170.701", customer_number="100234")]
    )
    fake_panda.sign_in_at_panda(user)
    return user


def test_sign_in_sends_the_browser_to_panda_with_code_pkce_s256_state_and_nonce(community_client, fake_panda):
    location = start(community_client)
    assert location.startswith(fake_panda.issuer + "/oidc/authorize?")
    params = query_of(location)
    assert params["response_type"] == "code"
    assert params["client_id"] == "support-community"
    assert params["redirect_uri"] == "http://community.test/auth/callback"
    # No offline_access: the community's grant ends with the person's Panda session.
    assert set(params["scope"].split()) == {"openid", "profile", "email", "orgs"}
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"] and params["state"] and params["nonce"]
    assert "prompt" not in params  # someone signed in to Panda is not asked for the password again


def test_a_full_sign_in_exchanges_the_code_with_the_pkce_verifier_and_returns_to_next(
    community_client, fake_panda, ann
):
    location = start(community_client, "/switch")
    response = come_back(community_client, location)

    assert response.status_code == 302
    assert response.headers["Location"] == "/switch"
    token_request = fake_panda.token_requests[-1]
    assert token_request["grant_type"] == "authorization_code"
    verifier = token_request["code_verifier"]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert query_of(location)["code_challenge"] == expected
    page = community_client.get("/").get_data(as_text=True)
    assert "Ann Accountant" in page
    assert "Bakkerij Peeters BV" in page


def test_the_session_keeps_sub_sid_claims_and_tokens_server_side(community_client, community_db, fake_panda, ann):
    from support_community.auth.access import access_of

    sign_in(community_client, fake_panda, ann)
    with community_client.session_transaction() as session:
        assert session["sub"] == ann.sub
        assert session["sid"] == fake_panda.panda_sid
        assert session["claims"]["email"] == "ann@example.test"
        assert "orgs" not in session["claims"]  # the organizations are kept per person (auth.access)
        tokens = session["tokens"]
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["id_token"] and tokens["expires_at"]
    row = community_db.session.execute(select(WebSession).where(WebSession.subject == ann.sub)).scalar_one()
    assert row.sid == fake_panda.panda_sid
    assert [org.name for org in access_of(ann.sub).orgs] == ["Bakkerij Peeters BV"]


def test_signing_in_gives_the_browser_a_new_session_identifier(community_client, fake_panda, ann):
    start(community_client)
    before = community_client.get_cookie("community_session").value
    sign_in(community_client, fake_panda, ann)
    after = community_client.get_cookie("community_session").value
    assert before != after


def test_next_cannot_send_the_person_to_another_site(community_client, fake_panda, ann):
    response = sign_in(community_client, fake_panda, ann, next_url="https://evil.example/steal")
    assert response.headers["Location"] == "/"


def test_a_callback_with_an_unknown_state_is_refused_with_a_try_again_link(community_client, fake_panda, ann):
    location = start(community_client)
    answer = visit_panda(location).headers["Location"]
    tampered = path_of(answer).replace("state=", "state=x")
    response = community_client.get(tampered)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Sign-in did not work" in page and "Try again" in page
    assert community_client.get("/").get_data(as_text=True).count("Ann Accountant") == 0


def test_a_callback_from_another_browser_is_refused(community_client, community, fake_panda, ann):
    location = start(community_client)
    answer = visit_panda(location).headers["Location"]
    other_browser = community.test_client()
    assert other_browser.get(path_of(answer)).status_code == 400


def test_a_callback_cannot_be_replayed(community, community_client, fake_panda, ann):
    location = start(community_client)
    callback = path_of(visit_panda(location).headers["Location"])
    assert community_client.get(callback).status_code == 302
    exchanges = len(fake_panda.token_requests)

    reloaded = community_client.get(callback)  # the person reloads the page: no error, no second exchange
    assert reloaded.status_code == 302 and reloaded.headers["Location"] == "/"
    assert community.test_client().get(callback).status_code == 400
    assert len(fake_panda.token_requests) == exchanges


def test_a_tampered_code_is_refused(community_client, fake_panda, ann):
    location = start(community_client)
    callback = path_of(visit_panda(location).headers["Location"]).replace("code=", "code=tampered")
    response = community_client.get(callback)
    assert response.status_code == 400
    assert "Try again" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "change",
    [
        {"nonce": "another-nonce"},
        {"iss": "http://127.0.0.1:1/not-panda"},
        {"aud": "another-client"},
        {"exp": 1_000_000},
        {"sub": "s" * 65},
    ],
)
def test_an_id_token_with_wrong_claims_is_refused(community_client, fake_panda, ann, change):
    fake_panda.id_token_changes = change
    response = come_back(community_client, start(community_client))
    assert response.status_code == 400
    assert "could not be verified" in response.get_data(as_text=True)
    assert "Ann Accountant" not in community_client.get("/").get_data(as_text=True)


def test_an_id_token_without_orgs_is_completed_from_userinfo(community_client, community_db, fake_panda, ann):
    fake_panda.id_token_drop = {"orgs"}
    response = come_back(community_client, start(community_client))
    assert response.status_code == 302
    assert fake_panda.userinfo_requests == 1
    assert "Bakkerij Peeters BV" in community_client.get("/").get_data(as_text=True)
    row = community_db.session.execute(select(WebSession).where(WebSession.subject == ann.sub)).scalar_one()
    assert row.sid == fake_panda.panda_sid


def test_an_id_token_with_a_bad_signature_is_refused(community_client, fake_panda, ann):
    fake_panda.id_token_key = FORGED_KEY
    response = come_back(community_client, start(community_client))
    assert response.status_code == 400
    assert "Ann Accountant" not in community_client.get("/").get_data(as_text=True)


def test_an_authorization_response_naming_another_issuer_is_refused(community_client, fake_panda, ann):
    fake_panda.iss_parameter = "wrong"
    response = come_back(community_client, start(community_client))
    assert response.status_code == 400
    assert "did not come from Panda" in response.get_data(as_text=True)
    assert not fake_panda.token_requests  # the code never reached the token endpoint


def test_a_missing_iss_parameter_is_refused_when_panda_promises_to_send_it(community_client, fake_panda, ann):
    fake_panda.iss_parameter = None
    response = come_back(community_client, start(community_client))
    assert response.status_code == 400
    assert not fake_panda.token_requests


def test_a_missing_iss_parameter_is_accepted_when_panda_does_not_send_it(community_client, fake_panda, ann):
    fake_panda.iss_parameter = None
    fake_panda.advertise_iss_parameter = False
    response = come_back(community_client, start(community_client))
    assert response.status_code == 302


def test_a_refusal_at_panda_shows_a_clear_page_with_a_try_again_link(community_client, fake_panda, ann):
    fake_panda.deny = True
    response = come_back(community_client, start(community_client, "/switch"))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "refused access" in page
    assert "/auth/sign-in?next=/switch" in page


def test_login_required_without_silent_sign_in_shows_a_page(community_client, fake_panda, ann):
    location = start(community_client)
    callback = path_of(visit_panda(location).headers["Location"])
    state = query_of(callback)["state"]
    response = community_client.get(f"/auth/callback?error=login_required&state={state}&iss={fake_panda.issuer}")
    assert response.status_code == 400
    assert "sign in first" in response.get_data(as_text=True)


def test_a_callback_without_any_parameters_is_a_clear_400(community_client):
    assert community_client.get("/auth/callback").status_code == 400


def test_someone_already_signed_in_goes_straight_to_next(community_client, fake_panda, ann):
    sign_in(community_client, fake_panda, ann)
    response = community_client.get("/auth/sign-in?next=/switch")
    assert response.headers["Location"] == "/switch"


# -- Panda unavailable -----------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", ["discovery"])
def test_sign_in_shows_the_unavailable_page_when_discovery_fails(community_client, fake_panda, endpoint):
    fake_panda.failures[endpoint] = 503
    response = community_client.get("/auth/sign-in")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "The sign-in service is unavailable" in page and "Try again" in page


def test_sign_in_shows_the_unavailable_page_when_panda_refuses_connections(
    community, community_client, fake_panda, monkeypatch
):
    from tests.support import free_port

    monkeypatch.setitem(community.config, "PANDA_INTERNAL_URL", f"http://127.0.0.1:{free_port()}")
    response = community_client.get("/auth/sign-in")
    assert response.status_code == 503
    assert "The sign-in service is unavailable" in response.get_data(as_text=True)


def test_sign_in_shows_the_unavailable_page_when_panda_is_too_slow(
    community, community_client, fake_panda, monkeypatch
):
    monkeypatch.setitem(community.config, "OIDC_HTTP_TIMEOUT", 0.2)
    fake_panda.delays["discovery"] = 1.0
    assert community_client.get("/auth/sign-in").status_code == 503


@pytest.mark.parametrize("endpoint", ["token", "jwks"])
def test_the_callback_shows_the_unavailable_page_when_panda_fails_midway(community_client, fake_panda, ann, endpoint):
    location = start(community_client)
    fake_panda.failures[endpoint] = 502
    response = come_back(community_client, location)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "The sign-in service is unavailable" in page
    assert "/auth/sign-in" in page  # try again starts a new sign-in, not the spent callback


def test_server_to_server_calls_use_the_internal_url_while_the_browser_uses_the_issuer(
    community, community_client, fake_panda, ann, monkeypatch
):
    internal = fake_panda.issuer.replace("127.0.0.1", "localhost")
    monkeypatch.setitem(community.config, "PANDA_INTERNAL_URL", internal)
    location = start(community_client)
    assert location.startswith(fake_panda.issuer + "/oidc/authorize")
    assert come_back(community_client, location).status_code == 302


def test_discovery_and_keys_are_fetched_once_for_many_sign_ins(community, fake_panda, ann):
    for _ in range(3):
        sign_in(community.test_client(), fake_panda, ann)
    assert fake_panda.hits["discovery"] == 1
    assert fake_panda.hits["jwks"] == 1


def test_a_new_signing_key_at_panda_is_picked_up_by_its_key_id(community, fake_panda, ann):
    from tests.community.auth.fake_op import new_key

    sign_in(community.test_client(), fake_panda, ann)
    rotated = new_key("panda-2")
    fake_panda.keys = [fake_panda.signing_key, rotated]
    fake_panda.signing_key = rotated
    response = sign_in(community.test_client(), fake_panda, ann)
    assert response.status_code == 302
    assert fake_panda.hits["jwks"] == 2
