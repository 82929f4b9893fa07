"""Webhooks of Panda: membership, access and join-request events, to an organization's URL and the vendor's.

A real HTTP receiver on a loopback port (``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`` on, as in
development) gets what the outbox worker sends; every body is verified as a receiver would.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from panda_portal.organizations.models import Role
from panda_portal.organizations.services import joining, members
from panda_portal.outbox.models import OutboxMessage
from panda_portal.webhooks.models import WebhookSubscription
from panda_portal.webhooks.services import webhooks
from shared.database import utcnow
from shared.webhooks.signing import verify
from tests.shared.webhooks.receiver import Receiver

SECRET_ON_PAGE = re.compile(r'value="(whsec_[A-Za-z0-9+/=]+)"')


@pytest.fixture()
def receiver(panda, monkeypatch):
    monkeypatch.setitem(panda.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture()
def team(make_account, make_org, make_membership):
    org = make_org(name="Bakkerij Peeters BV")
    admin = make_account(name="Ada Admin", email="ada@example.test")
    make_membership(admin, org, role=Role.ADMIN, grants=["support_community"])
    return org, admin


def run_outbox(app, panda_db) -> None:
    from panda_portal.outbox.services import outbox

    panda_db.session.flush()
    panda_db.session.execute(
        update(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).values(next_attempt_at=utcnow())
    )
    panda_db.session.flush()
    outbox.deliver_due(app)
    panda_db.session.expire_all()


def received(receiver, secret):
    return [verify(secret, item.body, item.headers) for item in receiver.received]


def test_an_administrator_subscribes_and_sees_the_secret_once(panda_client, login_as, team, receiver, panda_db):
    org, admin = team
    login_as(panda_client, admin)
    new = f"/orgs/{org.id}/webhooks/new"
    assert "membership.changed" in panda_client.get(new).get_data(as_text=True)
    response = panda_client.post_form(
        new, {"url": receiver.url, "events": ["membership.changed", "join_request.created"]}, page=new
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = SECRET_ON_PAGE.search(response.get_data(as_text=True)).group(1)
    subscription = panda_db.session.scalars(select(WebhookSubscription)).one()
    assert subscription.secret == secret and subscription.organization_id == org.id
    assert secret not in panda_client.get(f"/orgs/{org.id}/webhooks/{subscription.id}").get_data(as_text=True)


def test_members_and_outsiders_cannot_manage_an_organizations_webhooks(
    panda_client, login_as, team, make_account, make_membership
):
    org, _admin = team
    member = make_account()
    make_membership(member, org, role=Role.MEMBER)
    login_as(panda_client, member)
    assert panda_client.get(f"/orgs/{org.id}/webhooks").status_code == 403
    login_as(panda_client, make_account())
    assert panda_client.get(f"/orgs/{org.id}/webhooks").status_code == 404
    assert panda_client.get("/webhooks").status_code == 403  # the vendor's page, for staff only


def test_the_vendors_staff_subscribe_for_every_organization(panda_client, login_as, make_account):
    login_as(panda_client, make_account(support_agent=True))
    assert panda_client.get("/webhooks/new").status_code == 200


def test_a_private_address_is_refused(panda_client, login_as, team, panda_db):
    org, admin = team
    login_as(panda_client, admin)
    new = f"/orgs/{org.id}/webhooks/new"
    response = panda_client.post_form(new, {"url": "http://169.254.169.254/", "events": ["access.changed"]}, page=new)
    assert response.status_code == 400
    assert panda_db.session.scalars(select(WebhookSubscription)).all() == []


def test_a_request_to_join_reaches_the_organization_and_the_vendor(
    panda, panda_db, team, make_account, make_org, receiver
):
    org, admin = team
    _own, own_secret = webhooks.create(
        organization_id=org.id, url=receiver.url, description="", events=["join_request.created"], actor_id=admin.id
    )
    _vendor, vendor_secret = webhooks.create(
        organization_id=None,
        url=receiver.url + "/vendor",
        description="",
        events=["join_request.created"],
        actor_id="x",
    )
    webhooks.create(
        organization_id=make_org().id,
        url=receiver.url + "/elsewhere",
        description="",
        events=["join_request.created"],
        actor_id="x",
    )
    bob = make_account(name="Bob Boekhouder", email="bob@example.test")
    joining.request_to_join(org, actor=bob, message="I keep your books")
    run_outbox(panda, panda_db)

    assert sorted(item.path for item in receiver.received) == ["/hooks", "/hooks/vendor"]
    own = verify(own_secret, *[(i.body, i.headers) for i in receiver.received if i.path == "/hooks"][0])
    assert own["type"] == "join_request.created"
    assert own["data"]["request"]["email"] == "bob@example.test"
    assert own["data"]["request"]["message"] == "I keep your books"
    assert own["data"]["organization"]["id"] == str(org.id)
    vendor = [i for i in receiver.received if i.path == "/hooks/vendor"][0]
    assert verify(vendor_secret, vendor.body, vendor.headers)["type"] == "join_request.created"


def test_membership_and_access_changes_are_announced(panda, panda_db, team, make_account, make_membership, receiver):
    org, admin = team
    _subscription, secret = webhooks.create(
        organization_id=org.id,
        url=receiver.url,
        description="",
        events=["membership.changed", "access.changed"],
        actor_id=admin.id,
    )
    bob = make_account(name="Bob")
    membership = make_membership(bob, org, role=Role.MEMBER)
    members.update_membership(membership, role=Role.MEMBER, application_keys=["support_community"], actor=admin)
    members.update_membership(membership, role=Role.ADMIN, application_keys=["support_community"], actor=admin)
    members.remove_member(membership, actor=admin)
    run_outbox(panda, panda_db)

    payloads = sorted(received(receiver, secret), key=lambda p: p["timestamp"])
    assert [(p["type"], p["data"]["change"]) for p in payloads] == [
        ("access.changed", "granted"),
        ("membership.changed", "role_changed"),
        ("membership.changed", "removed"),
    ]
    assert payloads[0]["data"]["member"]["applications"] == ["support_community"]
    assert payloads[1]["data"]["member"]["role"] == "admin"


def test_a_failing_receiver_pauses_the_subscription_and_mails_its_creator(
    panda, panda_db, team, make_account, receiver, mail_sink, monkeypatch
):
    monkeypatch.setitem(panda.config, "WEBHOOK_PAUSE_AFTER_FAILURES", 2)
    org, admin = team
    subscription, _secret = webhooks.create(
        organization_id=org.id, url=receiver.url, description="", events=["join_request.created"], actor_id=admin.id
    )
    receiver.status = 500
    joining.request_to_join(org, actor=make_account())
    run_outbox(panda, panda_db)
    run_outbox(panda, panda_db)
    run_outbox(panda, panda_db)
    panda_db.session.refresh(subscription)
    assert subscription.paused_at is not None and len(receiver.received) == 2
    mail = mail_sink.last_to("ada@example.test")
    assert "paused" in mail.subject and f"/orgs/{org.id}/webhooks/{subscription.id}" in mail.text


def test_every_change_of_a_subscription_is_in_the_organizations_audit_log(
    panda_client, login_as, team, receiver, panda_db
):
    from panda_portal.audit.models import AuditEvent

    org, admin = team
    login_as(panda_client, admin)
    new = f"/orgs/{org.id}/webhooks/new"
    response = panda_client.post_form(new, {"url": receiver.url, "events": ["membership.changed"]}, page=new)
    first_secret = SECRET_ON_PAGE.search(response.get_data(as_text=True)).group(1)
    subscription_id = str(panda_db.session.scalars(select(WebhookSubscription.id)).one())
    page = f"/orgs/{org.id}/webhooks/{subscription_id}"
    panda_client.post_form(
        page, {"url": receiver.url, "events": ["membership.changed", "access.changed"], "description": "CRM"}, page=page
    )
    rotated = panda_client.post_form(f"{page}/rotate", page=page)
    second_secret = SECRET_ON_PAGE.search(rotated.get_data(as_text=True)).group(1)
    for action in ("pause", "resume", "delete"):
        assert panda_client.post_form(f"{page}/{action}", page=page).status_code == 302, action
        if action != "delete":
            panda_client.get(page)

    events = panda_db.session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == "webhook_subscription").order_by(AuditEvent.occurred_at)
    ).all()
    assert [event.action for event in events] == [
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
        "webhook.paused",
        "webhook.resumed",
        "webhook.deleted",
    ]
    assert {event.actor_id for event in events} == {admin.id}
    assert {event.organization_id for event in events} == {org.id}
    assert {event.target_id for event in events} == {subscription_id}
    assert events[1].before == {"events": ["membership.changed"], "description": ""}
    assert events[1].after == {"events": ["access.changed", "membership.changed"], "description": "CRM"}
    assert events[5].before["url"] == receiver.url
    stored = " ".join(str(event.before) + str(event.after) for event in events)
    assert first_secret not in stored and second_secret not in stored

    log = panda_client.get(f"/orgs/{org.id}/audit").get_data(as_text=True)
    for label in (
        "Webhook subscription added",
        "Webhook subscription changed",
        "Webhook signing secret renewed",
        "Webhook subscription paused",
        "Webhook subscription resumed",
        "Webhook subscription deleted",
    ):
        assert label in log, label


def test_a_subscription_paused_for_failing_is_in_the_audit_log_as_done_by_the_system(
    panda, panda_db, team, make_account, receiver, monkeypatch
):
    from panda_portal.audit.models import AuditEvent

    monkeypatch.setitem(panda.config, "WEBHOOK_PAUSE_AFTER_FAILURES", 1)
    org, admin = team
    webhooks.create(
        organization_id=org.id, url=receiver.url, description="", events=["join_request.created"], actor_id=admin.id
    )
    receiver.status = 500
    joining.request_to_join(org, actor=make_account())
    run_outbox(panda, panda_db)
    paused = panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.paused")).one()
    assert paused.actor_id is None and paused.actor_label == "system"
    assert paused.after == {"reason": "failing", "failures": 1}


def test_old_deliveries_and_their_attempts_are_pruned_by_the_command(panda, panda_db, team, receiver):
    import datetime as dt

    from panda_portal.webhooks.models import WebhookAttempt, WebhookDelivery

    org, admin = team
    subscription, _secret = webhooks.create(
        organization_id=org.id, url=receiver.url, description="", events=["membership.changed"], actor_id=admin.id
    )
    for _ in range(3):
        webhooks.send_test(subscription, actor_id=str(admin.id))
    panda_db.session.commit()
    run_outbox(panda, panda_db)
    old, older, recent = panda_db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert all(delivery.status == "delivered" for delivery in (old, older, recent))
    now = utcnow()
    old.created_at = now - dt.timedelta(days=31)
    older.created_at = now - dt.timedelta(days=400)
    recent.created_at = now - dt.timedelta(days=29)
    held = webhooks._new_delivery(subscription, "webhook.test", {})
    held.status, held.created_at = "held", now - dt.timedelta(days=90)  # waits for its subscription's resumption
    panda_db.session.commit()
    kept = {recent.id, held.id}

    result = panda.test_cli_runner().invoke(args=["webhooks", "prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2" in result.output
    panda_db.session.expire_all()
    assert set(panda_db.session.scalars(select(WebhookDelivery.id))) == kept
    assert {a.delivery_id for a in panda_db.session.scalars(select(WebhookAttempt))} == {recent.id}

    # The setting decides (and the option overrides it).
    assert panda.test_cli_runner().invoke(args=["webhooks", "prune", "--keep-days", "10"]).exit_code == 0
    assert set(panda_db.session.scalars(select(WebhookDelivery.id))) == {held.id}
