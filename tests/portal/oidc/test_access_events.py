"""Access events and logout tokens leave at once, before the request that caused them answers.

The clients' back-channel endpoint is a real HTTP server on 127.0.0.1 (``BackChannel``).
No test here runs Panda's outbox worker unless it says so: what a client hears, it
hears from the administrator's own request. The outbox is the retry path.
"""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from panda_portal.oidc.events import ACCESS_CHANGED_EVENT, ACCESS_EVENT, queue_access_event
from panda_portal.organizations.models import Role
from shared.database import utcnow
from tests.portal.factories import SUPPORT
from tests.portal.oidc.helpers import ISSUER, BackChannel, basic_auth, verify_jwt
from tests.support import free_port

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture()
def channel():
    started = BackChannel().start()
    yield started
    started.stop()


@pytest.fixture()
def team(panda_db, make_rp, make_account, make_org, make_membership, channel):
    """The community (as a client with a back-channel URI), an administrator and an accountant with access."""
    rp = make_rp(backchannel_logout_uri=channel.url, requires_grant=SUPPORT)
    admin, accountant = make_account(name="Ann Admin"), make_account(name="Jan Accountant")
    org = make_org(name="Bakkerij Peeters BV")
    make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
    membership = make_membership(accountant, org, grants=[SUPPORT])
    panda_db.session.commit()
    return SimpleNamespace(
        rp=rp,
        admin=admin,
        accountant=accountant,
        org=org,
        membership=membership,
        detail_url=f"/orgs/{org.id}/members/{membership.id}",
    )


def rows(panda_db, kind: str = ACCESS_EVENT) -> list:
    from panda_portal.outbox.models import OutboxMessage

    panda_db.session.expire_all()
    return list(panda_db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def untick(panda_client, login_as, team):
    login_as(panda_client, team.admin)
    return panda_client.post_form(team.detail_url, {"role": "member", "confirmed": "yes"}, page=team.detail_url)


def read_access(panda_client, rp, sub: str, **headers):
    return panda_client.post("/access", data={"sub": sub}, headers=headers or basic_auth(rp.client_id, rp.secret))


# -- the message ----------------------------------------------------------------------------------
def test_unticking_the_access_tells_the_client_before_the_administrator_gets_an_answer_with_the_workers_stopped(
    panda, panda_client, panda_db, login_as, team, channel
):
    before = read_access(panda_client, team.rp, str(team.accountant.id)).json["orgs_version"]

    response = untick(panda_client, login_as, team)

    assert response.status_code == 302  # the answer came after the event was delivered
    [event] = channel.access_events()
    decoded = verify_jwt(panda_client, event["body"])
    assert decoded.header["typ"] == "access-event+jwt"  # not a logout token
    claims = decoded.claims
    assert claims["iss"] == ISSUER and claims["aud"] == team.rp.client_id
    assert claims["sub"] == str(team.accountant.id)
    assert claims["jti"] and claims["iat"] < claims["exp"] <= claims["iat"] + 120
    assert LOGOUT_EVENT not in claims["events"] and "orgs" not in claims
    details = claims["events"][ACCESS_CHANGED_EVENT]
    assert details["withdrawn"] == [str(team.org.id)]
    after = read_access(panda_client, team.rp, str(team.accountant.id)).json
    assert details["orgs_version"] == after["orgs_version"] > before
    assert after["orgs"] == []
    [row] = rows(panda_db)
    assert row.sent_at is not None and row.attempts == 1


def test_a_grant_is_told_at_once_too(panda, panda_client, panda_db, login_as, team, channel):
    team.membership.grants = []
    panda_db.session.commit()
    login_as(panda_client, team.admin)

    panda_client.post_form(
        team.detail_url, {"role": "member", "applications": [SUPPORT], "confirmed": "yes"}, page=team.detail_url
    )

    [event] = channel.access_events()
    details = verify_jwt(panda_client, event["body"]).claims["events"][ACCESS_CHANGED_EVENT]
    assert details["withdrawn"] == []
    assert [o["name"] for o in read_access(panda_client, team.rp, str(team.accountant.id)).json["orgs"]] == [
        "Bakkerij Peeters BV"
    ]


def test_the_client_can_read_the_new_list_while_panda_waits_for_its_answer(
    panda, panda_client, panda_db, login_as, team, channel
):
    """The community re-reads the list before it answers the event: that read must see the change."""
    seen: list = []

    def read_while_answering(_request):
        answer = panda.test_client().post(
            "/access", data={"sub": str(team.accountant.id)}, headers=basic_auth(team.rp.client_id, team.rp.secret)
        )
        seen.append(answer.json["orgs"])

    channel.while_receiving = read_while_answering
    untick(panda_client, login_as, team)

    assert seen == [[]]


# -- when the client cannot be reached ------------------------------------------------------------
def test_a_client_that_is_down_at_the_moment_of_the_change_hears_it_from_the_outbox_later(
    panda, panda_client, panda_db, login_as, team, channel
):
    from panda_portal.outbox.models import OutboxMessage
    from panda_portal.outbox.services import outbox

    channel.status = 503
    response = untick(panda_client, login_as, team)
    assert response.status_code == 302  # the administrator is not held up by the client

    [row] = rows(panda_db)
    assert row.sent_at is None and row.failed_at is None and row.attempts == 1
    assert "503" in row.last_error and row.next_attempt_at > utcnow()

    channel.status = 202
    panda_db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
    panda_db.session.commit()
    outbox.deliver_due(panda)  # the worker, back at work

    first, second = (verify_jwt(panda_client, r["body"]).claims for r in channel.access_events())
    assert first["jti"] != second["jti"]
    assert second["events"][ACCESS_CHANGED_EVENT]["withdrawn"] == [str(team.org.id)]
    assert rows(panda_db)[0].sent_at is not None


def test_an_unreachable_client_does_not_fail_the_administrator_s_request(
    panda, panda_client, panda_db, login_as, team, make_rp
):
    from panda_portal.oidc.services import get_client

    get_client(team.rp.client_id).backchannel_logout_uri = f"http://127.0.0.1:{free_port()}/down"
    panda_db.session.commit()

    response = untick(panda_client, login_as, team)

    assert response.status_code == 302
    [row] = rows(panda_db)
    assert row.sent_at is None and row.last_error and row.next_attempt_at > utcnow()


def test_a_change_that_is_rolled_back_tells_no_one(panda, panda_db, team, channel):
    from panda_portal.oidc.push import push_committed

    savepoint = panda_db.session.begin_nested()
    queue_access_event(team.accountant)
    panda_db.session.flush()
    savepoint.rollback()
    panda_db.session.commit()

    assert push_committed(panda) == 0
    assert channel.received == [] and rows(panda_db) == []


def test_changes_made_in_savepoints_of_one_transaction_make_one_message_sent_after_its_commit(
    panda, panda_db, team, channel
):
    """A bulk add makes each organization in a savepoint: releasing one is not the commit."""
    from panda_portal.oidc.push import push_committed

    for _ in range(3):
        with panda_db.session.begin_nested():
            queue_access_event(team.accountant)
    assert push_committed(panda) == 0, "nothing is committed yet"
    assert len(rows(panda_db)) == 1, "one message for the three changes"
    panda_db.session.commit()
    assert push_committed(panda) == 1
    assert len(channel.received) == 1


def test_a_message_a_worker_has_claimed_is_not_pushed_a_second_time(panda, panda_db, team, channel):
    from panda_portal.oidc.push import _deliver
    from panda_portal.outbox.models import OutboxMessage
    from shared.outbox.service import LEASE

    queue_access_event(team.accountant)
    panda_db.session.flush()
    [row] = rows(panda_db)
    # A worker's claim: the lease moves the next attempt ahead.
    panda_db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() + LEASE, attempts=1))
    panda_db.session.flush()

    assert _deliver(panda, row.id) is False
    assert channel.received == []


# -- sign-out ------------------------------------------------------------------------------------
def test_signing_out_of_panda_tells_the_clients_at_once(panda, panda_client, panda_db, account, make_rp, channel):
    from tests.portal.oidc.helpers import Flow, sign_in_as

    rp = make_rp(backchannel_logout_uri=channel.url)
    sid = sign_in_as(panda_client, account)
    Flow(panda_client, rp).tokens()

    panda_client.post_form("/sign-out", page="/account")

    [logout] = [r for r in channel.received if r["content_type"] == "application/x-www-form-urlencoded"]
    token = logout["body"].split("logout_token=", 1)[1]
    claims = verify_jwt(panda_client, token).claims
    assert claims["sid"] == sid and claims["events"] == {LOGOUT_EVENT: {}}


# -- the access read ------------------------------------------------------------------------------
def test_a_confidential_client_reads_a_person_s_list_in_the_orgs_shape(panda, panda_client, team):
    answer = read_access(panda_client, team.rp, str(team.accountant.id))

    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json
    assert body["sub"] == str(team.accountant.id)
    assert body["roles"] == [] and isinstance(body["orgs_version"], int)
    assert body["orgs"] == [
        {
            "id": str(team.org.id),
            "name": "Bakkerij Peeters BV",
            "enterprise_number": team.org.enterprise_number_display,
            "customer_number": team.org.customer_number,
            "role": "member",
        }
    ]


def test_the_access_read_names_no_one_to_a_client_without_its_secret(panda, panda_client, make_rp, team):
    public = make_rp(public=True)
    sub = str(team.accountant.id)

    wrong = read_access(panda_client, team.rp, sub, **basic_auth(team.rp.client_id, "not-the-secret"))
    anonymous = panda_client.post("/access", data={"sub": sub})
    as_public = panda_client.post("/access", data={"sub": sub, "client_id": public.client_id})

    for answer in (wrong, anonymous, as_public):
        assert answer.status_code == 401 and answer.json["error"] == "invalid_client"
        assert "orgs" not in answer.json


@pytest.mark.parametrize("sub", ["6a1e0b2c-1111-4c4c-8d8d-000000000009", "not-a-uuid", "x" * 100, ""])
def test_the_access_read_of_an_unknown_person_is_a_404(panda, panda_client, team, sub):
    answer = read_access(panda_client, team.rp, sub)
    assert answer.status_code == 404 and answer.json == {"error": "unknown_subject"}


@pytest.mark.parametrize("endpoint", ["/token", "/revoke", "/access"])
@pytest.mark.parametrize("credentials", ["%%%not base64%%%", "//79/Q==", "bm8tY29sb24="])
def test_basic_credentials_that_cannot_be_read_are_an_invalid_client(panda, panda_client, endpoint, credentials):
    answer = panda_client.post(
        endpoint,
        data={"grant_type": "refresh_token", "refresh_token": "x", "token": "x", "sub": "x"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert answer.status_code == 401
    assert answer.json["error"] == "invalid_client"


# -- two deliveries racing (PostgreSQL) -----------------------------------------------------------
def test_a_push_and_a_worker_at_the_same_moment_deliver_the_message_once(concurrent_app, smtp_sink):
    from panda_portal.accounts.models import Account
    from panda_portal.extensions import db
    from panda_portal.oidc.push import _deliver
    from panda_portal.oidc.services import register_client
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.outbox.services import outbox

    channel = BackChannel().start()
    try:
        with concurrent_app.app_context():
            ensure_applications()
            register_client("community", ["https://c.test/cb"], backchannel_logout_uri=channel.url)
            account = Account(email="race@example.test", name="Race", language="en", email_verified_at=utcnow())
            db.session.add(account)
            db.session.flush()
            # Queued as a change would, but left for the race below (no push when this context ends).
            row = outbox.enqueue(ACCESS_EVENT, {"client_id": "community", "sub": str(account.id), "withdrawn": []})
            db.session.commit()
            row_id = row.id

        start = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def push() -> None:
            with concurrent_app.app_context():
                start.wait()
                outcomes["push"] = _deliver(concurrent_app, row_id)

        def work() -> None:
            with concurrent_app.app_context():
                start.wait()
                outcomes["worker"] = outbox.deliver_due(concurrent_app)

        threads = [threading.Thread(target=push), threading.Thread(target=work)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert len(channel.access_events()) == 1
        assert int(outcomes["push"] is True) + outcomes["worker"][0] == 1
    finally:
        channel.stop()


# -- a command, outside any request -------------------------------------------------------------
def test_a_command_outside_any_request_tells_the_clients_when_it_ends(panda, panda_client, panda_db, team, channel):
    """As ``panda users disable`` runs: its own application context, committed, then ended."""
    from panda_portal.accounts.models import Account
    from panda_portal.accounts.services.administration import disable_account
    from panda_portal.extensions import db

    with panda.app_context():  # what the command line pushes around a command
        disable_account(db.session.get(Account, team.accountant.id), actor=None)
        db.session.commit()
        assert channel.received == []  # not before the command is done

    [event] = channel.access_events()
    assert verify_jwt(panda_client, event["body"]).claims["events"][ACCESS_CHANGED_EVENT]["withdrawn"] == ["*"]
    logouts = [r for r in channel.received if r["content_type"] == "application/x-www-form-urlencoded"]
    assert len(logouts) == 1
    assert read_access(panda_client, team.rp, str(team.accountant.id)).json["orgs"] == []
