"""The ID token says how the person signed in (``amr``, ``acr``), and a client may ask for a second factor."""

from __future__ import annotations

import time

from panda_portal.oidc.models import ACR_PASSWORD, ACR_TWO_STEP
from tests.portal.mfa.helpers import turn_on
from tests.portal.oidc.helpers import query_of, verify_jwt


def _id_claims(flow, panda_client, **authorize) -> dict:
    return verify_jwt(panda_client, flow.tokens(**authorize)["id_token"]).claims


def _gave_second_factor(browser, method: str = "otp") -> None:
    with browser.session_transaction() as session:
        session["amr"] = ["pwd", method, "mfa"]
        session["second_factor_at"] = int(time.time())


def test_a_password_sign_in_is_said_to_be_one(flow, panda_client):
    claims = _id_claims(flow, panda_client)
    assert claims["amr"] == ["pwd"] and claims["acr"] == ACR_PASSWORD


def test_a_sign_in_with_a_second_factor_says_so_and_keeps_saying_it_after_a_refresh(flow, panda_client):
    _gave_second_factor(flow.browser, "hwk")
    tokens = flow.tokens()
    claims = verify_jwt(panda_client, tokens["id_token"]).claims
    assert claims["amr"] == ["pwd", "hwk", "mfa"] and claims["acr"] == ACR_TWO_STEP
    refreshed = flow.refresh(tokens["refresh_token"]).json
    again = verify_jwt(panda_client, refreshed["id_token"]).claims
    assert again["amr"] == ["pwd", "hwk", "mfa"] and again["acr"] == ACR_TWO_STEP


def test_a_client_asking_for_two_steps_sends_a_password_only_session_to_the_second_factor_first(flow, panda, account):
    with panda.test_request_context("/"):
        turn_on(account)
    response = flow.authorize(acr_values=ACR_TWO_STEP)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/account/two-step/confirm?")
    assert query_of(location)["next"].startswith("/authorize?")
    _gave_second_factor(flow.browser)
    assert flow.code(acr_values=ACR_TWO_STEP)  # given: the sign-in goes on to the client


def test_asking_for_two_steps_without_a_page_to_show_is_interaction_required(flow, panda, account):
    with panda.test_request_context("/"):
        turn_on(account)
    response = flow.authorize(acr_values=ACR_TWO_STEP, prompt="none")
    assert response.status_code == 302
    assert query_of(response.headers["Location"])["error"] == "interaction_required"


def test_a_person_without_a_second_factor_is_signed_in_and_the_token_says_password(flow, panda_client):
    claims = _id_claims(flow, panda_client, acr_values=ACR_TWO_STEP)
    assert claims["acr"] == ACR_PASSWORD


def test_discovery_lists_the_authentication_context_classes(panda_client):
    document = panda_client.get("/.well-known/openid-configuration").json
    assert document["acr_values_supported"] == [ACR_PASSWORD, ACR_TWO_STEP]
    assert {"amr", "acr"} <= set(document["claims_supported"])
