"""When Panda changes an agent's access, or is away: the workspace follows the token's roles."""

from __future__ import annotations

import pytest

from tests.community.auth.fake_op import expire_access_token, sign_in
from tests.community.factories import make_case, make_person


@pytest.fixture()
def sam(fake_panda, community_client):
    user = fake_panda.add_user(name="Sam Support", email="sam@vendor.test", roles=["support_agent"])
    sign_in(community_client, fake_panda, user)
    user.sid = fake_panda.panda_sid
    return user


def test_an_agent_whose_role_is_removed_loses_the_workspace_at_the_next_refresh(community_client, fake_panda, sam):
    case = make_case(make_person())
    assert community_client.get("/agent").status_code == 200
    assert community_client.get(f"/agent/cases/{case.id}").status_code == 200

    sam.roles.clear()
    expire_access_token(community_client)

    assert community_client.get("/agent").status_code == 403
    assert community_client.get(f"/agent/cases/{case.id}").status_code == 403
    assert community_client.post_form(f"/agent/cases/{case.id}/status", {"status": "solved"}).status_code == 403


def test_a_back_channel_logout_ends_the_agents_session(community, community_client, fake_panda, sam):
    assert community_client.get("/agent").status_code == 200
    token = fake_panda.logout_token(sub=sam.sub, sid=sam.sid)
    assert community.test_client().post("/auth/backchannel-logout", data={"logout_token": token}).status_code == 200

    response = community_client.get("/agent")

    assert response.status_code == 302
    assert response.headers["Location"].startswith(fake_panda.issuer)


@pytest.mark.parametrize("endpoint", ["token", "jwks"])
def test_while_panda_is_away_a_signed_in_agent_keeps_working_until_a_refresh_is_due(
    community, community_client, fake_panda, sam, endpoint
):
    from support_community.auth.provider import panda

    case = make_case(make_person())
    panda(community).clear_cache()
    fake_panda.failures[endpoint] = 503

    assert community_client.get("/agent").status_code == 200
    assert community_client.get(f"/agent/cases/{case.id}").status_code == 200

    expire_access_token(community_client)
    response = community_client.get("/agent")
    assert response.status_code == 503
    assert "The sign-in service is unavailable" in response.get_data(as_text=True)
