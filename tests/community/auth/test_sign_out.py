"""Signing out ends the community session and Panda's (RP-initiated logout)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from support_community.auth.models import WebSession
from tests.community.auth.fake_op import org, query_of, sign_in, visit_panda


@pytest.fixture()
def ann(fake_panda, community_client):
    user = fake_panda.add_user(orgs=[org("Bakkerij Peeters BV")])
    sign_in(community_client, fake_panda, user)
    return user


def test_sign_out_ends_the_session_and_sends_the_browser_to_pandas_end_session(
    community_client, community_db, fake_panda, ann
):
    with community_client.session_transaction() as session:
        id_token = session["tokens"]["id_token"]

    response = community_client.post_form("/auth/sign-out")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(fake_panda.issuer + "/oidc/end-session?")
    params = query_of(location)
    assert params["id_token_hint"] == id_token
    assert params["client_id"] == "support-community"
    assert params["post_logout_redirect_uri"] == "http://community.test/"
    assert params["state"]
    count = select(func.count()).select_from(WebSession).where(WebSession.subject == ann.sub)
    assert community_db.session.execute(count).scalar() == 0
    assert community_client.get_cookie("community_seen") is None
    home = community_client.get("/")
    assert home.status_code == 200
    assert "Sign in with Panda" in home.get_data(as_text=True)
    visit_panda(location)
    assert fake_panda.end_session_requests[-1]["id_token_hint"] == id_token


def test_sign_out_needs_the_csrf_token(community_client, ann):
    response = community_client.post("/auth/sign-out")
    assert response.status_code == 400
    assert "Ann Accountant" in community_client.get("/").get_data(as_text=True)


def test_sign_out_while_panda_is_unreachable_still_ends_the_local_session(community, community_client, fake_panda, ann):
    from support_community.auth.provider import panda

    token = community_client.csrf_token("/")
    panda(community).clear_cache()
    fake_panda.failures["discovery"] = 503

    response = community_client.post("/auth/sign-out", data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Sign in with Panda" in community_client.get("/").get_data(as_text=True)


def test_sign_out_without_a_session_just_goes_home(community_client, fake_panda):
    response = community_client.post_form("/auth/sign-out")
    assert response.headers["Location"] == "/"
    assert not fake_panda.hits.get("discovery")


def test_a_very_large_id_token_is_not_sent_as_logout_hint(community_client, fake_panda):
    fake_panda.id_token_has_orgs = True  # a provider that puts the whole list in the ID token
    many = [org(f"Client {n:04d}") for n in range(200)]
    user = fake_panda.add_user(orgs=many)
    sign_in(community_client, fake_panda, user)
    location = community_client.post_form("/auth/sign-out").headers["Location"]
    params = query_of(location)
    assert "id_token_hint" not in params
    assert params["client_id"] == "support-community"


def test_sign_out_revokes_the_community_s_refresh_token_at_panda(community_client, fake_panda, ann):
    with community_client.session_transaction() as session:
        refresh_token = session["tokens"]["refresh_token"]

    community_client.post_form("/auth/sign-out")

    assert fake_panda.revocations == [{"token": refresh_token, "token_type_hint": "refresh_token"}]
    assert refresh_token in fake_panda.spent_refresh_tokens  # Panda no longer renews anything with it


def test_sign_out_while_panda_refuses_the_revocation_still_ends_the_local_session(
    community_client, community_db, fake_panda, ann
):
    fake_panda.failures["revoke"] = 503

    response = community_client.post_form("/auth/sign-out")

    assert response.status_code == 302
    count = select(func.count()).select_from(WebSession).where(WebSession.subject == ann.sub)
    assert community_db.session.execute(count).scalar() == 0
