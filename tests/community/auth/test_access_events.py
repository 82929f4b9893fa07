"""Panda's access events: what a person may do here follows Panda from their very next request.

Panda POSTs a signed event (``application/secevent+jwt``) to the back-channel endpoint
when someone's access changes; the community drops what it withdraws at once, reads
the person's whole list with the access read, and every open session of the person
uses it from the next request on (no new sign-in, no token renewal). Anything but a
valid, fresh, unseen event from Panda for this client changes nothing.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from support_community.auth.models import PersonAccess
from tests.community.auth.fake_op import FORGED_KEY, org, push_access_event, sign_in
from tests.community.factories import JANSSENS, PEETERS

URL = "/auth/backchannel-logout"


@pytest.fixture()
def jan(fake_panda, community_client, demo_catalog):
    """An accountant signed in to the community with access to two clients."""
    user = fake_panda.add_user(name="Jan Janssens", email="jan@example.test", orgs=[dict(PEETERS), dict(JANSSENS)])
    sign_in(community_client, fake_panda, user)
    return user


def menu_of(page: str) -> str:
    return page.split('<details class="user-menu">', 1)[1].split("</details>", 1)[0]


def kept(community_db, sub: str) -> PersonAccess | None:
    community_db.session.expire_all()
    return community_db.session.get(PersonAccess, sub)


# -- the guarantee -------------------------------------------------------------------------------
def test_a_withdrawn_organization_is_refused_on_the_next_request_of_an_open_session(
    community, community_client, fake_panda, jan
):
    base = f"/orgs/{PEETERS['id']}"
    assert community_client.get(f"{base}/cases").status_code == 200
    jan.orgs[:] = [dict(JANSSENS)]  # the administrator unticks the access in Panda

    answer = push_access_event(community.test_client(), fake_panda.access_event(jan.sub, withdrawn=[PEETERS["id"]]))

    assert answer.status_code == 202
    assert answer.headers["Cache-Control"] == "no-store"
    assert community_client.get(f"{base}/cases").status_code == 404
    assert community_client.get(f"{base}/cases/new").status_code == 404
    assert community_client.post_form(f"{base}/cases/new", {"subject": "x"}).status_code == 404
    assert "Bakkerij Peeters BV" not in community_client.get("/cases").get_data(as_text=True)
    assert community_client.get(f"/orgs/{JANSSENS['id']}/cases").status_code == 200  # the rest stays
    assert fake_panda.token_requests[-1]["grant_type"] == "authorization_code"  # nothing was renewed


def test_a_granted_organization_appears_in_an_open_session_s_switcher_on_the_next_page(
    community, community_client, fake_panda, jan
):
    garage = org("Garage Dubois SRL", customer_number="100777")
    jan.orgs.append(garage)

    assert push_access_event(community.test_client(), fake_panda.access_event(jan.sub)).status_code == 202

    menu = menu_of(community_client.get("/").get_data(as_text=True))
    assert "Garage Dubois SRL" in menu and f'href="/orgs/{garage["id"]}/"' in menu
    assert community_client.get(f"/orgs/{garage['id']}/cases").status_code == 200
    assert fake_panda.access_reads == [jan.sub]


def test_every_open_session_of_the_person_follows_the_event(community, community_client, fake_panda, jan):
    other_browser = community.test_client()
    sign_in(other_browser, fake_panda, jan)
    jan.orgs[:] = []

    push_access_event(
        community.test_client(), fake_panda.access_event(jan.sub, withdrawn=[PEETERS["id"], JANSSENS["id"]])
    )

    for browser in (community_client, other_browser):
        assert browser.get(f"/orgs/{PEETERS['id']}/cases").status_code == 404
        assert "administrator must approve your membership" in menu_of(browser.get("/").get_data(as_text=True))


def test_when_panda_cannot_be_read_back_the_withdrawn_organization_is_refused_anyway(
    community, community_client, community_db, fake_panda, jan
):
    jan.orgs[:] = [dict(JANSSENS)]
    fake_panda.failures["access"] = 503

    answer = push_access_event(community.test_client(), fake_panda.access_event(jan.sub, withdrawn=[PEETERS["id"]]))

    assert answer.status_code == 503  # Panda's outbox sends it again
    assert kept(community_db, jan.sub).stale_since is not None
    assert community_client.get(f"/orgs/{PEETERS['id']}/cases").status_code == 404
    assert community_client.get(f"/orgs/{JANSSENS['id']}/cases").status_code == 200


def test_a_grant_that_could_not_be_read_shows_on_the_next_request_once_panda_answers(
    community, community_client, community_db, fake_panda, jan
):
    garage = org("Garage Dubois SRL")
    jan.orgs.append(garage)
    fake_panda.failures["access"] = 503
    push_access_event(community.test_client(), fake_panda.access_event(jan.sub))
    assert "Garage Dubois SRL" not in community_client.get("/").get_data(as_text=True)  # not confirmed: not shown

    fake_panda.failures.clear()

    assert "Garage Dubois SRL" in menu_of(community_client.get("/").get_data(as_text=True))
    assert kept(community_db, jan.sub).stale_since is None


def test_a_disabled_account_loses_every_organization_and_role(community, community_client, fake_panda):
    sam = fake_panda.add_user(name="Sam", email="sam@vendor.test", orgs=[dict(PEETERS)], roles=["support_agent"])
    sign_in(community_client, fake_panda, sam)
    assert community_client.get("/agent").status_code == 200
    sam.orgs[:], sam.roles[:] = [], []  # what Panda says of a disabled account
    fake_panda.failures["access"] = 503  # even without the read that follows

    push_access_event(community.test_client(), fake_panda.access_event(sam.sub, withdrawn=["*"]))

    assert community_client.get("/agent").status_code == 403
    assert community_client.get(f"/orgs/{PEETERS['id']}/cases").status_code == 404


# -- order and repetition ------------------------------------------------------------------------
def test_an_event_older_than_the_list_kept_changes_nothing(community, community_client, community_db, fake_panda, jan):
    version = kept(community_db, jan.sub).orgs_version

    answer = push_access_event(
        community.test_client(), fake_panda.access_event(jan.sub, version=version, withdrawn=[PEETERS["id"]])
    )

    assert answer.status_code == 202
    assert community_client.get(f"/orgs/{PEETERS['id']}/cases").status_code == 200
    assert fake_panda.access_reads == [jan.sub]  # read, and found nothing newer than what is kept


def test_a_list_read_earlier_never_replaces_one_read_later(community, community_db, fake_panda, jan):
    from support_community.auth.access import access_of, store

    newer = kept(community_db, jan.sub).orgs_version + 5
    store(jan.sub, orgs=[dict(JANSSENS)], roles=[], version=newer)
    assert store(jan.sub, orgs=[dict(PEETERS), dict(JANSSENS)], roles=[], version=newer - 1) is False

    assert [o.name for o in access_of(jan.sub).orgs] == ["Garage Janssens NV"]


def test_a_replayed_event_is_refused(community, community_client, fake_panda, jan):
    token = fake_panda.access_event(jan.sub)
    assert push_access_event(community.test_client(), token).status_code == 202
    assert push_access_event(community.test_client(), token).status_code == 400


def test_an_event_about_someone_never_seen_here_is_accepted_and_changes_nothing(community, community_db, fake_panda):
    stranger = fake_panda.add_user()
    assert push_access_event(community.test_client(), fake_panda.access_event(stranger.sub)).status_code == 202
    assert kept(community_db, stranger.sub) is None
    assert fake_panda.access_reads == []


# -- anything else is refused --------------------------------------------------------------------
@pytest.mark.parametrize(
    "bend",
    [
        {"header": {"typ": "logout+jwt"}},
        {"header": {"typ": "JWT"}},
        {"header": {"typ": "at+jwt"}},
        {"key": FORGED_KEY},
        {"iss": "http://127.0.0.1:1/not-panda"},
        {"aud": "another-client"},
        {"iat": int(time.time()) - 3600},
        {"iat": int(time.time()) + 3600},
        {"exp": int(time.time()) - 3600},
        {"nonce": "an-id-token"},
        {"drop": ("sub",)},
        {"drop": ("jti",)},
        {"events": {"http://schemas.openid.net/event/backchannel-logout": {}}},
        {"events": {"urn:panda:event:access-changed": {"withdrawn": []}}},
        {"events": {"urn:panda:event:access-changed": {"orgs_version": "7", "withdrawn": []}}},
        {"events": {"urn:panda:event:access-changed": {"orgs_version": 7, "withdrawn": "everything"}}},
    ],
)
def test_an_event_that_is_not_panda_s_fresh_word_for_this_client_is_refused_and_changes_nothing(
    community, community_client, fake_panda, jan, bend
):
    jan.orgs[:] = []
    token = fake_panda.access_event(jan.sub, withdrawn=[PEETERS["id"]], **bend)

    answer = push_access_event(community.test_client(), token)

    assert answer.status_code == 400 and answer.json["err"] == "invalid_request"
    assert community_client.get(f"/orgs/{PEETERS['id']}/cases").status_code == 200
    assert fake_panda.access_reads == []


@pytest.mark.parametrize("body", [b"", b"not a token", b"\xff\xfe", b"x" * 40_000])
def test_a_body_that_is_no_event_at_all_is_a_400(community, body):
    answer = community.test_client().post(URL, data=body, headers={"Content-Type": "application/secevent+jwt"})
    assert answer.status_code == 400


def test_a_logout_token_sent_as_an_access_event_ends_no_session_and_changes_nothing(
    community, community_client, fake_panda, jan
):
    answer = push_access_event(community.test_client(), fake_panda.logout_token(sub=jan.sub))
    assert answer.status_code == 400
    assert "Jan Janssens" in community_client.get("/").get_data(as_text=True)


# -- two deliveries racing (PostgreSQL) ----------------------------------------------------------
def test_two_lists_stored_at_the_same_moment_leave_the_newer_one(committing_community, fake_panda_server):
    from support_community.auth.access import access_of, store
    from support_community.extensions import db

    app = committing_community
    with app.app_context():
        store("racing-sub", orgs=[dict(PEETERS)], roles=[], version=1)
        db.session.commit()

    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def keep(orgs: list[dict], version: int) -> None:
        try:
            with app.app_context():
                start.wait()
                store("racing-sub", orgs=orgs, roles=[], version=version)
                db.session.commit()
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=keep, args=([dict(JANSSENS)], 3)),
        threading.Thread(target=keep, args=([dict(PEETERS), dict(JANSSENS)], 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    with app.app_context():
        assert [o.name for o in access_of("racing-sub").orgs] == ["Garage Janssens NV"]
        assert db.session.scalar(select(PersonAccess.orgs_version).where(PersonAccess.sub == "racing-sub")) == 3
