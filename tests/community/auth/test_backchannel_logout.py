"""Back-channel logout: Panda ends community sessions; anything but a valid, fresh, unseen token is a 400."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from support_community.auth.models import SeenLogoutToken, WebSession
from tests.community.auth.fake_op import FORGED_KEY, org, path_of, query_of, sign_in, visit_panda

URL = "/auth/backchannel-logout"


def post(client, token):
    return client.post(URL, data={"logout_token": token})


def sessions_of(db, sub) -> int:
    return db.session.execute(select(func.count()).select_from(WebSession).where(WebSession.subject == sub)).scalar()


@pytest.fixture()
def ann(fake_panda, community_client):
    user = fake_panda.add_user(orgs=[org("Bakkerij Peeters BV")])
    sign_in(community_client, fake_panda, user)
    user.sid = fake_panda.panda_sid
    return user


def test_a_valid_logout_token_for_a_sid_ends_that_session(community, community_client, community_db, fake_panda, ann):
    other_browser = community.test_client()
    sign_in(other_browser, fake_panda, ann)  # a second Panda session (another sid)

    response = post(community.test_client(), fake_panda.logout_token(sub=ann.sub, sid=ann.sid))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert sessions_of(community_db, ann.sub) == 1
    assert community_client.get("/").headers["Location"].startswith(fake_panda.issuer)  # signed out here
    assert "Ann Accountant" in other_browser.get("/").get_data(as_text=True)


def test_a_logout_token_with_only_a_sub_ends_every_session_of_that_person(
    community, community_client, community_db, fake_panda, ann
):
    sign_in(community.test_client(), fake_panda, ann)
    assert sessions_of(community_db, ann.sub) == 2
    assert post(community.test_client(), fake_panda.logout_token(sub=ann.sub)).status_code == 200
    assert sessions_of(community_db, ann.sub) == 0


def test_after_a_back_channel_logout_the_next_page_asks_panda_silently(community_client, fake_panda, ann):
    assert post(community_client, fake_panda.logout_token(sid=ann.sid)).status_code == 200

    response = community_client.get("/switch")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(fake_panda.issuer + "/oidc/authorize")
    assert query_of(location)["prompt"] == "none"


def test_a_silent_sign_in_after_logout_brings_the_new_orgs(community_client, fake_panda, ann):
    post(community_client, fake_panda.logout_token(sid=ann.sid))
    ann.orgs.append(org("Garage Janssens NV"))

    location = community_client.get("/switch").headers["Location"]
    back = community_client.get(path_of(visit_panda(location).headers["Location"]))

    assert back.headers["Location"] == "/switch"
    assert "Garage Janssens NV" in community_client.get("/switch").get_data(as_text=True)


def test_when_panda_asks_for_a_login_the_person_is_sent_to_its_sign_in_page(community_client, fake_panda, ann):
    post(community_client, fake_panda.logout_token(sid=ann.sid))
    fake_panda.signed_in = None  # signed out of Panda too

    location = community_client.get("/switch").headers["Location"]
    answer = visit_panda(location)
    assert query_of(answer.headers["Location"])["error"] == "login_required"
    again = community_client.get(path_of(answer.headers["Location"]))

    assert again.status_code == 302
    assert again.headers["Location"].startswith(fake_panda.issuer + "/oidc/authorize")
    assert "prompt" not in query_of(again.headers["Location"])
    assert "Sign in to Panda" in visit_panda(again.headers["Location"]).text


def test_on_a_public_page_login_required_just_shows_the_page_signed_out(community_client, fake_panda, ann):
    post(community_client, fake_panda.logout_token(sid=ann.sid))
    fake_panda.signed_in = None

    location = community_client.get("/").headers["Location"]
    back = community_client.get(path_of(visit_panda(location).headers["Location"]))

    assert back.headers["Location"] == "/"
    home = community_client.get("/")
    assert home.status_code == 200
    assert "Sign in with Panda" in home.get_data(as_text=True)
    assert community_client.get_cookie("community_seen") is None  # no silent attempt on every page


def test_a_replayed_logout_token_is_refused(community_client, community_db, fake_panda, ann):
    token = fake_panda.logout_token(sid=ann.sid)
    assert post(community_client, token).status_code == 200
    response = post(community_client, token)
    assert response.status_code == 400
    assert response.json == {"error": "invalid_request"}
    assert community_db.session.execute(select(func.count()).select_from(SeenLogoutToken)).scalar() == 1


@pytest.mark.parametrize(
    "bend",
    [
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, aud="another-client"), id="wrong aud"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, iss="http://127.0.0.1:1/not-panda"), id="wrong iss"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, key=FORGED_KEY), id="bad signature"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, nonce="n-0S6_WzA2Mj"), id="nonce present"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, drop=("events",)), id="missing events"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, events={"other": {}}), id="other event"),
        pytest.param(lambda op, ann: op.logout_token(), id="neither sub nor sid"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, drop=("jti",)), id="missing jti"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, drop=("iat",)), id="missing iat"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, iat=int(time.time()) + 3600), id="iat in the future"),
        pytest.param(
            lambda op, ann: op.logout_token(sid=ann.sid, iat=int(time.time()) - 3600, exp=int(time.time()) + 60),
            id="too old",
        ),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, exp=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda op, ann: op.logout_token(sid=ann.sid, header={"typ": "JWT"}), id="wrong typ"),
        pytest.param(lambda op, ann: op.id_token(ann, nonce=None, sid=ann.sid, auth_time=0), id="an ID token"),
        pytest.param(lambda op, ann: "not.a.jwt", id="garbage"),
        pytest.param(lambda op, ann: "", id="empty"),
    ],
)
def test_an_invalid_logout_token_is_refused_and_ends_nothing(community_client, community_db, fake_panda, ann, bend):
    response = post(community_client, bend(fake_panda, ann))
    assert response.status_code == 400
    assert response.json == {"error": "invalid_request"}
    assert response.headers["Cache-Control"] == "no-store"
    assert sessions_of(community_db, ann.sub) == 1


def test_a_logout_token_signed_with_another_algorithm_is_refused(community_client, community_db, fake_panda, ann):
    from joserfc import jwt
    from joserfc.jwk import OctKey

    now = int(time.time())
    claims = {
        "iss": fake_panda.issuer,
        "aud": "support-community",
        "iat": now,
        "jti": "hs-1",
        "sid": ann.sid,
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    token = jwt.encode({"alg": "HS256", "kid": "panda-1"}, claims, OctKey.generate_key(256))
    assert post(community_client, token).status_code == 400
    assert sessions_of(community_db, ann.sub) == 1


def test_the_endpoint_needs_no_csrf_token_and_no_session(community, fake_panda, ann):
    panda_server = community.test_client()  # no cookies, no CSRF token, like Panda's server
    assert post(panda_server, fake_panda.logout_token(sub=ann.sub)).status_code == 200


def test_panda_unreachable_for_its_keys_answers_503_so_the_message_is_retried(
    community, community_client, community_db, fake_panda, ann
):
    from support_community.auth.provider import panda

    panda(community).clear_cache()
    fake_panda.failures["jwks"] = 503
    response = post(community_client, fake_panda.logout_token(sid=ann.sid))
    assert response.status_code == 503
    assert sessions_of(community_db, ann.sub) == 1


def test_a_public_page_still_shows_when_panda_is_down_for_the_silent_attempt(
    community, community_client, fake_panda, ann
):
    from support_community.auth.provider import panda

    post(community_client, fake_panda.logout_token(sid=ann.sid))
    panda(community).clear_cache()
    fake_panda.failures["discovery"] = 503

    response = community_client.get("/")

    assert response.status_code == 200
    assert "Sign in with Panda" in response.get_data(as_text=True)
    assert community_client.get_cookie("community_seen") is None


def test_a_private_page_shows_the_unavailable_page_when_panda_is_down_for_the_silent_attempt(
    community, community_client, fake_panda, ann
):
    from support_community.auth.provider import panda

    post(community_client, fake_panda.logout_token(sid=ann.sid))
    panda(community).clear_cache()
    fake_panda.failures["discovery"] = 503
    assert community_client.get("/switch").status_code == 503
