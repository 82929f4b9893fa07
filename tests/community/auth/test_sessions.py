"""The community's session lives in its database; the browser holds only an opaque identifier."""

from __future__ import annotations

from sqlalchemy import select

from support_community.auth.models import WebSession
from tests.community.auth.fake_op import org, sign_in


def test_the_cookie_holds_only_an_opaque_id_even_with_2000_organizations(community_client, community_db, fake_panda):
    from support_community.auth.access import access_of

    user = fake_panda.add_user(orgs=[org(f"Client {n:04d} BV", customer_number=str(200000 + n)) for n in range(2000)])
    response = sign_in(community_client, fake_panda, user)

    cookie_header = response.headers["Set-Cookie"]
    cookie = community_client.get_cookie("community_session")
    assert len(cookie.value) < 64
    assert "Client" not in cookie_header and user.sub not in cookie_header
    row = community_db.session.execute(select(WebSession).where(WebSession.subject == user.sub)).scalar_one()
    assert "orgs" not in row.data["claims"]  # kept once per person, not per browser session
    assert len(access_of(user.sub).orgs) == 2000
    assert "Client 1999 BV" in community_client.get("/switch?q=1999").get_data(as_text=True)


def test_the_session_cookie_is_http_only_and_same_site_lax(community_client, fake_panda):
    user = fake_panda.add_user()
    set_cookie = sign_in(community_client, fake_panda, user).headers.getlist("Set-Cookie")
    session_cookie = next(c for c in set_cookie if c.startswith("community_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    seen_cookie = next(c for c in set_cookie if c.startswith("community_seen="))
    assert seen_cookie.startswith("community_seen=1;")
    assert "HttpOnly" in seen_cookie


def test_cookies_are_secure_outside_development(community, community_client, fake_panda, monkeypatch):
    monkeypatch.setitem(community.config, "SESSION_COOKIE_SECURE", True)
    user = fake_panda.add_user()
    set_cookie = sign_in(community_client, fake_panda, user).headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in set_cookie)


def test_the_community_cookie_name_differs_from_pandas(community):
    assert community.config["SESSION_COOKIE_NAME"] == "community_session"


def test_a_session_ended_during_a_request_is_not_written_back(community, community_client, community_db, fake_panda):
    """A back-channel logout racing a page load must win: the page's save does not resurrect the session."""
    from flask import session

    from shared.sessions import end_sessions

    user = fake_panda.add_user()
    sign_in(community_client, fake_panda, user)
    cookie = community_client.get_cookie("community_session").value
    with community.test_request_context("/", headers={"Cookie": f"community_session={cookie}"}) as ctx:
        assert session["sub"] == user.sub
        end_sessions(community_db, WebSession, subject=user.sub)
        community_db.session.commit()
        session["flash"] = "something changed"
        response = community.make_response("page")
        community.session_interface.save_session(community, ctx.session, response)
    assert community_db.session.execute(select(WebSession).where(WebSession.subject == user.sub)).first() is None
    assert "community_session=;" in response.headers["Set-Cookie"]


def test_a_request_that_changes_nothing_does_not_overwrite_newer_data(
    community, community_client, community_db, fake_panda
):
    import datetime as dt

    from shared.sessions import stored_session_id

    user = fake_panda.add_user()
    sign_in(community_client, fake_panda, user)
    cookie = community_client.get_cookie("community_session").value
    row = community_db.session.get(WebSession, stored_session_id(cookie))
    row.expires_at = row.expires_at - dt.timedelta(hours=1)  # due for a touch
    community_db.session.commit()
    with community.test_request_context("/", headers={"Cookie": f"community_session={cookie}"}) as ctx:
        ctx.session.get("sub")
        # Meanwhile another request of this browser stores renewed tokens.
        row.data = dict(row.data, tokens=dict(row.data["tokens"], refresh_token="renewed"))
        community_db.session.commit()
        community.session_interface.save_session(community, ctx.session, community.make_response("page"))
    community_db.session.expire_all()
    assert community_db.session.get(WebSession, stored_session_id(cookie)).data["tokens"]["refresh_token"] == "renewed"
