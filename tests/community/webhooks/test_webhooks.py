"""Webhooks of the community: an organization's administrators and the agents subscribe URLs to case events.

Deliveries go to a real HTTP receiver on a loopback port (``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES``
on, as in development), through the outbox worker, and are verified as a receiver would.
"""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select, update

from shared.database import utcnow
from shared.webhooks.signing import verify
from support_community.cases.models import Status
from support_community.cases.services import assignment, conversation, statuses
from support_community.extensions import db
from support_community.outbox.models import OutboxMessage
from support_community.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from support_community.webhooks.services import webhooks
from tests.community.auth.fake_op import org
from tests.community.factories import acting_as, open_case, user_with
from tests.shared.webhooks.receiver import Receiver

ACME = org("Acme Accounting BV", role="admin", id="6a1e0b2c-1111-4c4c-8d8d-0000000000aa")
OTHER = org("Other BV", role="admin", id="6a1e0b2c-1111-4c4c-8d8d-0000000000bb")
SECRET_ON_PAGE = re.compile(r'value="(whsec_[A-Za-z0-9+/=]+)"')


@pytest.fixture()
def receiver(community, monkeypatch):
    monkeypatch.setitem(community.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
    started = Receiver().start()
    yield started
    started.stop()


def run_outbox(app) -> None:
    """What the worker would do by now: every waiting message is due, and delivered."""
    from support_community.outbox.services import outbox

    db.session.flush()
    db.session.execute(update(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).values(next_attempt_at=utcnow()))
    db.session.flush()
    outbox.deliver_due(app)
    db.session.expire_all()


def subscribe(organization_id, url, events, *, by="admin-sub"):
    subscription, secret = webhooks.create(
        organization_id=uuid.UUID(organization_id) if organization_id else None,
        url=url,
        description="",
        events=events,
        actor_id=by,
    )
    return subscription, secret


def bodies(receiver, secret):
    """Every delivery the receiver got, verified with the specification's algorithm."""
    return [verify(secret, item.body, item.headers) for item in receiver.received]


# -- the pages ----------------------------------------------------------------------------------
def test_an_administrator_subscribes_on_the_page_and_sees_the_secret_once(community_client, login, receiver):
    login(orgs=[ACME])
    page = community_client.get(f"/orgs/{ACME['id']}/webhooks/new")
    assert page.status_code == 200 and "case.created" in page.get_data(as_text=True)
    assert "case.internal_note_added" not in page.get_data(as_text=True)

    response = community_client.post_form(
        f"/orgs/{ACME['id']}/webhooks/new",
        {"url": receiver.url, "description": "Practice tool", "events": ["case.created", "case.replied"]},
        page=f"/orgs/{ACME['id']}/webhooks/new",
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = SECRET_ON_PAGE.search(response.get_data(as_text=True)).group(1)
    subscription = db.session.scalars(select(WebhookSubscription)).one()
    assert subscription.secret == secret and subscription.events == ["case.created", "case.replied"]

    detail = community_client.get(f"/orgs/{ACME['id']}/webhooks/{subscription.id}").get_data(as_text=True)
    assert receiver.url in detail and secret not in detail


def test_a_member_who_is_not_administrator_cannot_manage_webhooks(community_client, login):
    login(orgs=[org("Acme Accounting BV", role="member", id=ACME["id"])])
    assert community_client.get(f"/orgs/{ACME['id']}/webhooks").status_code == 403


def test_another_organizations_subscription_is_not_found(community_client, login, receiver):
    other, _secret = subscribe(OTHER["id"], receiver.url, ["case.created"])
    login(orgs=[ACME])
    assert community_client.get(f"/orgs/{ACME['id']}/webhooks/{other.id}").status_code == 404
    assert community_client.get(f"/orgs/{OTHER['id']}/webhooks").status_code == 404


def test_a_private_address_is_refused_on_the_form(community_client, login, community):
    login(orgs=[ACME])
    response = community_client.post_form(
        f"/orgs/{ACME['id']}/webhooks/new",
        {"url": "http://10.0.0.7/hook", "events": ["case.created"]},
        page=f"/orgs/{ACME['id']}/webhooks/new",
    )
    assert response.status_code == 400
    assert "private, local or reserved address" in response.get_data(as_text=True)
    assert db.session.scalars(select(WebhookSubscription)).all() == []


def test_the_forms_work_in_dutch_and_french(community_client, fake_panda, login):
    for locale, words in (("nl", "Webhook toevoegen"), ("fr", "Ajouter un webhook")):
        login(fake_panda.add_user(orgs=[ACME], locale=locale))
        page = community_client.get(f"/orgs/{ACME['id']}/webhooks/new", headers={"Accept-Language": locale})
        assert words in page.get_data(as_text=True)


def test_agents_subscribe_for_every_organization_and_customers_cannot(community_client, login, receiver):
    login(orgs=[ACME])
    assert community_client.get("/webhooks").status_code == 403
    login(roles=["support_agent"])
    page = community_client.get("/webhooks/new")
    assert page.status_code == 200 and "case.internal_note_added" in page.get_data(as_text=True)


# -- events -------------------------------------------------------------------------------------
def test_a_new_case_reaches_the_organizations_receiver_signed(community, demo_catalog, receiver):
    subscription, secret = subscribe(ACME["id"], receiver.url, ["case.created"])
    subscribe(OTHER["id"], receiver.url + "/other", ["case.created"])
    ann = acting_as(user_with(ACME))
    case = open_case(ACME, ann, subject="Invoices do not export")
    run_outbox(community)

    assert [item.path for item in receiver.received] == ["/hooks"]
    [payload] = bodies(receiver, secret)
    assert payload["type"] == "case.created"
    assert payload["data"]["case"]["number"] == case.number
    assert payload["data"]["case"]["subject"] == "Invoices do not export"
    assert payload["data"]["organization"]["id"] == ACME["id"]
    delivery = db.session.scalars(select(WebhookDelivery)).first()
    assert receiver.received[0].headers["webhook-id"] == delivery.message_id
    attempt = db.session.scalars(select(WebhookAttempt)).one()
    assert attempt.succeeded and attempt.status_code == 200 and attempt.response_excerpt == "thanks"


def test_a_customer_subscription_never_receives_an_internal_note(community, demo_catalog, receiver):
    customer, customer_secret = subscribe(
        ACME["id"], receiver.url + "/customer", ["case.replied", "case.status_changed"]
    )
    vendor, vendor_secret = subscribe(None, receiver.url + "/vendor", ["case.internal_note_added", "case.replied"])
    ann = acting_as(user_with(ACME))
    sam = acting_as(user_with(sub="sam", name="Sam Support", roles=("support_agent",)))
    case = open_case(ACME, ann)
    conversation.agent_reply(case, actor=sam, body="SECRET: the customer is on the old plan", internal=True)
    statuses.change_status(
        case, Status.IN_PROGRESS, actor=sam, comment="Internal: escalate", by_agent=True, internal=True
    )
    conversation.agent_reply(case, actor=sam, body="We are looking into it.")
    run_outbox(community)

    to_customer = [item for item in receiver.received if item.path == "/hooks/customer"]
    to_vendor = [item for item in receiver.received if item.path == "/hooks/vendor"]
    for item in to_customer:
        verify(customer_secret, item.body, item.headers)
        assert b"SECRET" not in item.body and b"escalate" not in item.body
    customer_types = sorted(verify(customer_secret, i.body, i.headers)["type"] for i in to_customer)
    assert customer_types == ["case.replied", "case.status_changed"]
    vendor_types = sorted(verify(vendor_secret, i.body, i.headers)["type"] for i in to_vendor)
    assert vendor_types == ["case.internal_note_added", "case.internal_note_added", "case.replied"]


def test_status_changes_and_assignments_are_announced(community, demo_catalog, receiver):
    _subscription, secret = subscribe(ACME["id"], receiver.url, ["case.status_changed", "case.assigned"])
    ann = acting_as(user_with(ACME))
    sam = acting_as(user_with(sub="sam", name="Sam Support", roles=("support_agent",)))
    case = open_case(ACME, ann)
    assignment.assign(case, sam, actor=sam)
    statuses.change_status(case, Status.WAITING_FOR_CUSTOMER, actor=sam, by_agent=True)
    conversation.customer_reply(case, actor=ann, body="Here is the file.")  # back in progress
    run_outbox(community)

    payloads = sorted(bodies(receiver, secret), key=lambda p: p["timestamp"])
    assert [p["type"] for p in payloads] == ["case.assigned", "case.status_changed", "case.status_changed"]
    assert payloads[0]["data"]["case"]["assignee"] == {"name": "Sam Support"}
    assert (payloads[1]["data"]["previous_status"], payloads[1]["data"]["status"]) == ("new", "waiting_for_customer")
    assert payloads[2]["data"]["status"] == "in_progress"


# -- failures, pausing, by hand -----------------------------------------------------------------
def test_a_receiver_that_is_down_is_retried_then_the_subscription_is_paused_with_a_mail(
    community, demo_catalog, receiver, mail_sink, monkeypatch
):
    monkeypatch.setitem(community.config, "WEBHOOK_PAUSE_AFTER_FAILURES", 3)
    admin = acting_as(user_with(ACME, sub="admin-sub", name="Ada Admin", email="ada@example.test"))
    subscription, secret = subscribe(ACME["id"], receiver.url, ["case.created"], by=admin.sub)
    receiver.stop()
    open_case(ACME, admin)

    run_outbox(community)
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).one()
    assert row.sent_at is None and row.attempts == 1 and row.next_attempt_at > utcnow()  # retried later
    assert db.session.get(WebhookSubscription, subscription.id).consecutive_failures == 1
    run_outbox(community)
    run_outbox(community)

    subscription = db.session.get(WebhookSubscription, subscription.id)
    assert subscription.paused_at is not None and subscription.pause_reason == "failing"
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.status == "held" and delivery.attempts == 3
    attempts = db.session.scalars(select(WebhookAttempt)).all()
    assert len(attempts) == 3 and all(a.error and not a.succeeded for a in attempts)
    run_outbox(community)  # the pause mail
    mail = mail_sink.last_to("ada@example.test")
    assert "paused" in mail.subject and receiver.url in mail.text

    # An event while paused is kept, not sent; resuming sends both.
    open_case(ACME, admin, subject="Second")
    receiver.start()
    run_outbox(community)
    assert receiver.received == []
    webhooks.resume(subscription, actor_id=admin.sub)
    run_outbox(community)
    assert len(bodies(receiver, secret)) == 2
    assert db.session.get(WebhookSubscription, subscription.id).consecutive_failures == 0


def test_a_subscription_failing_for_days_is_paused_even_with_few_failures(community, demo_catalog, receiver):
    import datetime as dt

    admin = acting_as(user_with(ACME, sub="admin-sub", name="Ada Admin", email="ada@example.test"))
    subscription, _secret = subscribe(ACME["id"], receiver.url, ["case.created"], by=admin.sub)
    subscription.failing_since = utcnow() - dt.timedelta(days=3, minutes=1)
    subscription.consecutive_failures = 4
    receiver.status = 503
    open_case(ACME, admin)
    run_outbox(community)
    subscription = db.session.get(WebhookSubscription, subscription.id)
    assert subscription.paused_at is not None and subscription.consecutive_failures == 5


def test_an_address_that_became_private_is_checked_again_before_each_attempt(
    community, demo_catalog, receiver, monkeypatch
):
    subscription, _secret = subscribe(ACME["id"], receiver.url, ["case.created"])
    monkeypatch.setitem(community.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
    open_case(ACME, acting_as(user_with(ACME)))
    run_outbox(community)
    assert receiver.received == []
    attempt = db.session.scalars(select(WebhookAttempt)).one()
    assert not attempt.succeeded and "private, local or reserved" in attempt.error


def test_a_delivery_is_sent_again_by_hand_with_the_same_webhook_id(community_client, login, community, receiver):
    user = login(orgs=[ACME])
    subscription, secret = subscribe(ACME["id"], receiver.url, ["case.created"], by=user.sub)
    test_page = f"/orgs/{ACME['id']}/webhooks/{subscription.id}"
    assert community_client.post_form(test_page + "/test", page=test_page).status_code == 302
    run_outbox(community)
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert verify(secret, receiver.received[0].body, receiver.received[0].headers)["type"] == "webhook.test"

    response = community_client.post_form(f"{test_page}/deliveries/{delivery.id}/redeliver", page=test_page)
    assert response.status_code == 302
    run_outbox(community)
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    page = community_client.get(test_page).get_data(as_text=True)
    assert "2 attempts" in page and "HTTP 200" in page


def test_after_rotation_both_secrets_verify_for_24_hours(community_client, login, community, receiver):
    user = login(orgs=[ACME])
    subscription, old_secret = subscribe(ACME["id"], receiver.url, ["case.created"], by=user.sub)
    page = f"/orgs/{ACME['id']}/webhooks/{subscription.id}"
    response = community_client.post_form(page + "/rotate", page=page)
    new_secret = SECRET_ON_PAGE.search(response.get_data(as_text=True)).group(1)
    assert new_secret != old_secret
    community_client.post_form(page + "/test", page=page)
    run_outbox(community)
    item = receiver.received[-1]
    assert verify(new_secret, item.body, item.headers) and verify(old_secret, item.body, item.headers)

    subscription = db.session.get(WebhookSubscription, subscription.id)
    assert subscription.secrets_in_use(subscription.previous_secret_expires_at) == [new_secret]


def test_pausing_and_deleting_by_hand(community_client, login, community, receiver):
    user = login(orgs=[ACME])
    subscription, _secret = subscribe(ACME["id"], receiver.url, ["case.created"], by=user.sub)
    subscription_id = subscription.id
    page = f"/orgs/{ACME['id']}/webhooks/{subscription_id}"
    community_client.post_form(page + "/pause", page=page)
    assert db.session.get(WebhookSubscription, subscription_id).pause_reason == "by_hand"
    community_client.post_form(page + "/resume", page=page)
    assert db.session.get(WebhookSubscription, subscription_id).paused_at is None
    assert community_client.post(page + "/delete").status_code == 400  # no CSRF token
    assert community_client.post_form(page + "/delete", page=page).status_code == 302
    db.session.expunge_all()
    assert db.session.get(WebhookSubscription, subscription_id) is None


def test_every_change_of_a_subscription_leaves_a_log_line_with_who_did_it(
    community_client, login, community, receiver, caplog
):
    user = login(orgs=[ACME])
    caplog.set_level("INFO", logger="shared.webhooks.service")
    subscription, secret = subscribe(ACME["id"], receiver.url, ["case.created"], by=user.sub)
    subscription_id = subscription.id
    page = f"/orgs/{ACME['id']}/webhooks/{subscription_id}"
    rotated = community_client.post_form(page + "/rotate", page=page)
    new_secret = SECRET_ON_PAGE.search(rotated.get_data(as_text=True)).group(1)
    for action in ("pause", "resume", "delete"):
        assert community_client.post_form(f"{page}/{action}", page=page).status_code == 302, action
        if action != "delete":
            community_client.get(page)
    lines = [r.getMessage() for r in caplog.records if r.name == "shared.webhooks.service"]
    assert [line.split(":", 1)[0] for line in lines] == [
        "webhook.created",
        "webhook.secret_rotated",
        "webhook.paused",
        "webhook.resumed",
        "webhook.deleted",
    ]
    assert all(f"subscription {subscription_id} of {ACME['id']} by {user.sub}" in line for line in lines)
    assert not any(secret in line or new_secret in line for line in lines)


def test_community_webhooks_prune_deletes_old_deliveries_and_keeps_held_ones(community, receiver, monkeypatch):
    import datetime as dt

    subscription, _secret = subscribe(ACME["id"], receiver.url, ["case.created"])
    for _ in range(2):
        webhooks.send_test(subscription, actor_id="admin-sub")
    db.session.commit()
    run_outbox(community)
    old, recent = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)).all()
    now = utcnow()
    old.created_at, recent.created_at = now - dt.timedelta(days=8), now - dt.timedelta(days=6)
    held = webhooks._new_delivery(subscription, "webhook.test", {})
    held.status, held.created_at = "held", now - dt.timedelta(days=60)
    db.session.commit()
    monkeypatch.setitem(community.config, "WEBHOOK_KEEP_DAYS", 7)

    result = community.test_cli_runner().invoke(args=["webhooks", "prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 " in result.output and "7 days" in result.output
    db.session.expire_all()
    assert set(db.session.scalars(select(WebhookDelivery.id))) == {recent.id, held.id}
    assert {a.delivery_id for a in db.session.scalars(select(WebhookAttempt))} == {recent.id}


# -- two workers at once (PostgreSQL) ---------------------------------------------------------------
@pytest.mark.postgres_only
def test_two_workers_failing_at_once_count_both_failures_and_pause_once_with_one_mail(
    committing_community, monkeypatch
):
    import threading

    import shared.webhooks.service as service_module
    from support_community.cases.models import Person
    from support_community.outbox.services import outbox

    app = committing_community
    app.config.update(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True, WEBHOOK_PAUSE_AFTER_FAILURES=2)
    receiver = Receiver().start()
    receiver.status = 500
    try:
        with app.app_context():
            db.session.add(Person(sub="ada", name="Ada Admin", email="ada@example.test", locale="en"))
            subscription, _secret = subscribe(ACME["id"], receiver.url, ["case.created"], by="ada")
            for number in range(2):
                webhooks.emit(
                    "case.created", organization_id=uuid.UUID(ACME["id"]), data={"case": {"number": str(number)}}
                )
            db.session.commit()
            subscription_id = subscription.id

        # Both requests reach the receiver at the same moment, so both failures are recorded at once.
        both_in_flight = threading.Barrier(2, timeout=10)
        real_post = service_module.post

        def post_together(*args, **kwargs):
            both_in_flight.wait()
            return real_post(*args, **kwargs)

        monkeypatch.setattr(service_module, "post", post_together)
        workers = [threading.Thread(target=outbox.deliver_due, args=(app,), kwargs={"limit": 1}) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(20)

        with app.app_context():
            subscription = db.session.get(WebhookSubscription, subscription_id)
            assert subscription.consecutive_failures == 2  # neither failure lost
            assert subscription.paused_at is not None
            mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
            assert [m.payload["to"] for m in mails] == ["ada@example.test"]  # paused once, told once
    finally:
        receiver.stop()
