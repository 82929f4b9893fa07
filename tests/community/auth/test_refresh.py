"""Session freshness: an expired access token is renewed (rotating refresh tokens) and orgs re-read."""

from __future__ import annotations

import pytest

from support_community.auth.services import refresh_session
from tests.community.auth.fake_op import expire_access_token, org, sign_in


def stored_tokens(client) -> dict:
    with client.session_transaction() as session:
        return dict(session["tokens"])


@pytest.fixture()
def ann(fake_panda, community_client):
    user = fake_panda.add_user(orgs=[org("Bakkerij Peeters BV")])
    sign_in(community_client, fake_panda, user)
    return user


def test_a_fresh_access_token_is_used_without_asking_panda(community_client, fake_panda, ann):
    before = len(fake_panda.token_requests)
    community_client.get("/")
    assert len(fake_panda.token_requests) == before


def test_an_expired_access_token_is_refreshed_and_the_new_orgs_are_shown(community_client, fake_panda, ann):
    ann.orgs.append(org("Garage Janssens NV", enterprise_number="0202.239.951", customer_number="100999"))
    old = stored_tokens(community_client)
    expire_access_token(community_client)

    page = community_client.get("/").get_data(as_text=True)

    assert "Garage Janssens NV" in page
    assert fake_panda.token_requests[-1]["grant_type"] == "refresh_token"
    assert fake_panda.token_requests[-1]["refresh_token"] == old["refresh_token"]
    new = stored_tokens(community_client)
    assert new["refresh_token"] != old["refresh_token"]  # the rotated one is kept
    assert new["access_token"] != old["access_token"]
    assert new["expires_at"] > 0
    assert new["id_token"] == old["id_token"]  # still there for the logout hint


def test_a_removed_organization_disappears_at_the_next_refresh(community_client, fake_panda, ann):
    org_id = ann.orgs[0]["id"]
    assert community_client.get(f"/orgs/{org_id}/").status_code == 200
    ann.orgs.clear()
    expire_access_token(community_client)
    assert community_client.get(f"/orgs/{org_id}/").status_code == 404


def test_a_renewed_access_token_naming_a_newer_list_makes_the_community_read_it_from_userinfo(
    community_client, fake_panda, ann
):
    ann.orgs.append(org("Garage Janssens NV"))
    before = fake_panda.userinfo_requests
    expire_access_token(community_client)
    assert "Garage Janssens NV" in community_client.get("/").get_data(as_text=True)
    assert fake_panda.userinfo_requests == before + 1


def test_a_renewed_access_token_naming_the_list_kept_costs_no_userinfo_request(community_client, fake_panda, ann):
    before = fake_panda.userinfo_requests
    expire_access_token(community_client)
    assert "Bakkerij Peeters BV" in community_client.get("/").get_data(as_text=True)
    assert fake_panda.token_requests[-1]["grant_type"] == "refresh_token"
    assert fake_panda.userinfo_requests == before


def test_a_refused_refresh_ends_the_session_and_sends_the_person_to_sign_in(community_client, fake_panda, ann):
    fake_panda.revoke_family_of(ann.sub)
    expire_access_token(community_client)

    response = community_client.get("/switch?q=peeters")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/sign-in?next=/switch")
    with community_client.session_transaction() as session:
        assert "sub" not in session


@pytest.mark.parametrize("endpoint", ["token", "jwks"])
def test_a_refresh_while_panda_is_down_shows_the_unavailable_page(
    community, community_client, fake_panda, ann, endpoint
):
    from support_community.auth.provider import panda

    panda(community).clear_cache()
    fake_panda.failures[endpoint] = 503
    expire_access_token(community_client)

    response = community_client.get("/")

    assert response.status_code == 503
    assert "The sign-in service is unavailable" in response.get_data(as_text=True)
    fake_panda.failures.clear()
    assert community_client.get("/").status_code == 200  # the session survived; try again works


def test_a_second_request_adopts_tokens_another_request_just_renewed(community, community_client, fake_panda, ann):
    """Two requests of one browser never spend the same refresh token."""
    from flask import session

    from support_community.auth.session import session_tokens

    cookie = community_client.get_cookie("community_session").value
    expire_access_token(community_client)
    # Request A (the test client) renews the tokens and stores them.
    community_client.get("/")
    spent = len([r for r in fake_panda.token_requests if r["grant_type"] == "refresh_token"])
    # Request B opened the session before A stored the new tokens, so it still holds the expired ones.
    with community.test_request_context("/", headers={"Cookie": f"community_session={cookie}"}) as ctx:
        ctx.session["tokens"] = dict(ctx.session["tokens"], expires_at=0, refresh_token="the-spent-refresh-token")
        assert refresh_session() is True
        assert session_tokens().refresh_token != "the-spent-refresh-token"
        assert not session_tokens().expired()
        assert session["claims"]["name"] == "Ann Accountant"
    assert len([r for r in fake_panda.token_requests if r["grant_type"] == "refresh_token"]) == spent
