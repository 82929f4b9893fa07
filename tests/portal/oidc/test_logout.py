"""RP-initiated logout (end_session_endpoint) and what ending a Panda session does to grants."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from sqlalchemy import select

from tests.portal.oidc.helpers import POST_LOGOUT_URI, Flow, query_of, sign_in_as


def end_session(client, **params):
    return client.get("/end-session?" + urlencode(params))


def still_signed_in(flow: Flow) -> bool:
    probe = Flow(flow.browser, flow.rp)
    return "code" in query_of(probe.authorize(prompt="none").headers["Location"])


def backchannel_messages(panda_db) -> list[dict]:
    from panda_portal.outbox.models import OutboxMessage

    rows = panda_db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "backchannel_logout").order_by(OutboxMessage.id)
    ).scalars()
    return [row.payload for row in rows]


# -- with an id_token_hint -----------------------------------------------------------------
def test_logout_with_a_registered_return_address_ends_the_session_and_returns_with_state(
    panda_client, make_rp, account, panda_db
):
    rp = make_rp(backchannel_logout_uri="https://rp.example.test/backchannel")
    sid = sign_in_as(panda_client, account)
    flow = Flow(panda_client, rp)
    tokens = flow.tokens()

    response = end_session(
        panda_client, id_token_hint=tokens["id_token"], post_logout_redirect_uri=POST_LOGOUT_URI, state="bye-123"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == POST_LOGOUT_URI + "?state=bye-123"
    assert not still_signed_in(flow)
    # That session's refresh tokens are revoked, and the clients are told.
    assert flow.refresh(tokens["refresh_token"]).json["error"] == "invalid_grant"
    assert backchannel_messages(panda_db) == [{"client_id": rp.client_id, "sub": str(account.id), "sid": sid}]


def test_an_unregistered_return_address_is_refused_without_redirect_and_without_signing_out(flow):
    tokens = flow.tokens()
    for uri in ("https://evil.example.test/", POST_LOGOUT_URI + "/", POST_LOGOUT_URI + "?x=1"):
        response = end_session(flow.browser, id_token_hint=tokens["id_token"], post_logout_redirect_uri=uri)
        assert response.status_code == 400
        assert "Location" not in response.headers
    assert still_signed_in(flow)


def test_a_tampered_id_token_hint_is_refused_without_redirect(flow):
    token = flow.tokens()["id_token"]
    head, payload, signature = token.split(".")
    for hint in (f"{head}.{payload}.{signature[:-4]}AAAA", "garbage"):
        response = end_session(flow.browser, id_token_hint=hint, post_logout_redirect_uri=POST_LOGOUT_URI)
        assert response.status_code == 400 and "Location" not in response.headers
    assert still_signed_in(flow)


def test_an_access_token_is_not_accepted_as_id_token_hint(flow):
    token = flow.tokens()["access_token"]
    response = end_session(flow.browser, id_token_hint=token, post_logout_redirect_uri=POST_LOGOUT_URI)
    assert response.status_code == 400


def test_a_client_id_that_is_not_the_id_tokens_audience_is_refused(browser, make_rp):
    flow = Flow(browser, make_rp())
    other = make_rp()
    response = end_session(
        browser,
        id_token_hint=flow.tokens()["id_token"],
        client_id=other.client_id,
        post_logout_redirect_uri=POST_LOGOUT_URI,
    )
    assert response.status_code == 400


def test_an_expired_id_token_signed_with_a_retired_key_is_still_a_valid_hint(flow, panda_db):
    from panda_portal.oidc import keys

    hint_claims = {
        "iss": "http://panda.test",
        "aud": flow.rp.client_id,
        "sub": "someone",
        "iat": int(time.time()) - 7200,
        "exp": int(time.time()) - 3600,
    }
    old_hint = keys.sign(hint_claims, typ="JWT")
    first = keys.active_key()
    keys.rotate()
    first.retired_at = first.retired_at.replace(year=first.retired_at.year - 1)
    panda_db.session.commit()
    response = end_session(flow.browser, id_token_hint=old_hint, post_logout_redirect_uri=POST_LOGOUT_URI)
    assert response.status_code == 302


def test_the_client_may_post_the_logout_request(flow):
    tokens = flow.tokens()
    response = flow.browser.post(
        "/end-session", data={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": POST_LOGOUT_URI}
    )
    assert response.status_code == 302
    assert not still_signed_in(flow)


def test_logout_without_return_address_shows_that_the_person_is_signed_out(flow):
    tokens = flow.tokens()
    response = end_session(flow.browser, id_token_hint=tokens["id_token"])
    assert response.status_code == 200
    assert "U bent afgemeld" in response.get_data(as_text=True)  # the test accounts read Dutch
    assert not still_signed_in(flow)


def test_an_id_token_of_someone_else_ends_that_session_but_not_this_browsers(panda_client, rp, make_account):
    ann, bob = make_account(), make_account()
    sign_in_as(panda_client, ann)
    ann_flow = Flow(panda_client, rp)
    ann_tokens = ann_flow.tokens()
    sign_in_as(panda_client, bob)
    bob_flow = Flow(panda_client, rp)

    response = end_session(panda_client, id_token_hint=ann_tokens["id_token"])
    assert response.status_code == 200
    assert ann_flow.refresh(ann_tokens["refresh_token"]).json["error"] == "invalid_grant"
    assert still_signed_in(bob_flow)


# -- without an id_token_hint --------------------------------------------------------------
def test_without_an_id_token_the_person_is_asked_first(flow):
    response = end_session(flow.browser)
    assert response.status_code == 200
    assert "Afmelden bij Panda?" in response.get_data(as_text=True)
    assert still_signed_in(flow)


def test_after_confirming_the_person_is_signed_out_and_returned_to_a_registered_address(flow):
    page = "/end-session?" + urlencode(
        {"client_id": flow.rp.client_id, "post_logout_redirect_uri": POST_LOGOUT_URI, "state": "s1"}
    )
    assert flow.browser.get(page).status_code == 200
    response = flow.browser.post_form(
        "/end-session/confirm",
        {"client_id": flow.rp.client_id, "post_logout_redirect_uri": POST_LOGOUT_URI, "state": "s1"},
        page=page,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == POST_LOGOUT_URI + "?state=s1"
    assert not still_signed_in(flow)


def test_confirming_needs_a_csrf_token(flow):
    response = flow.browser.post("/end-session/confirm", data={})
    assert response.status_code == 400
    assert still_signed_in(flow)


def test_a_return_address_without_client_or_id_token_is_refused(flow):
    response = end_session(flow.browser, post_logout_redirect_uri=POST_LOGOUT_URI)
    assert response.status_code == 400 and "Location" not in response.headers


def test_nobody_signed_in_and_a_known_client_returns_at_once(panda_client, rp):
    response = end_session(panda_client, client_id=rp.client_id, post_logout_redirect_uri=POST_LOGOUT_URI)
    assert response.status_code == 302 and response.headers["Location"] == POST_LOGOUT_URI


# -- sessions ending elsewhere -------------------------------------------------------------
def test_signing_out_of_panda_ends_that_sessions_grants_and_tells_the_clients(
    panda, panda_client, make_rp, account, panda_db
):
    from panda_portal.accounts import signals

    rp = make_rp(backchannel_logout_uri="https://rp.example.test/bc")
    quiet = make_rp()
    sid = sign_in_as(panda_client, account)
    tokens = Flow(panda_client, rp).tokens()
    other_session = sign_in_as(panda_client, account)
    other_tokens = Flow(panda_client, quiet).tokens()

    signals.signed_out.send(panda, account=account, sid=sid)
    panda_db.session.commit()
    assert Flow(panda_client, rp).refresh(tokens["refresh_token"]).json["error"] == "invalid_grant"
    assert Flow(panda_client, quiet).refresh(other_tokens["refresh_token"]).status_code == 200
    assert backchannel_messages(panda_db) == [{"client_id": rp.client_id, "sub": str(account.id), "sid": sid}]
    assert other_session != sid


def test_offline_access_grants_outlive_a_sign_out(panda, flow, account, panda_db):
    from panda_portal.accounts import signals

    offline = Flow(flow.browser, flow.rp).tokens(scope="openid offline_access")
    online = flow.tokens()
    sid = _sid_of(flow.browser)
    signals.signed_out.send(panda, account=account, sid=sid)
    panda_db.session.commit()
    assert Flow(flow.browser, flow.rp).refresh(offline["refresh_token"]).status_code == 200
    assert flow.refresh(online["refresh_token"]).json["error"] == "invalid_grant"


def _sid_of(client) -> str:
    with client.session_transaction() as session:
        return session["sid"]


def test_a_password_change_or_a_disabled_account_ends_every_grant_and_tells_the_clients(
    panda, flow, make_rp, account, panda_db
):
    from panda_portal.accounts import signals

    make_rp(backchannel_logout_uri="https://rp.example.test/bc")
    offline = Flow(flow.browser, flow.rp).tokens(scope="openid offline_access")
    signals.password_changed.send(panda, account=account)
    panda_db.session.commit()
    assert flow.refresh(offline["refresh_token"]).json["error"] == "invalid_grant"
    messages = backchannel_messages(panda_db)
    assert messages and all(m["sid"] is None and m["sub"] == str(account.id) for m in messages)

    signals.account_disabled.send(panda, account=account)
    panda_db.session.commit()
    assert len(backchannel_messages(panda_db)) == 2 * len(messages)
