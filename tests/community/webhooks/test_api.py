"""Webhook subscriptions through the community's API: the same service and rules as the pages."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from support_community.extensions import db
from support_community.webhooks.models import WebhookSubscription
from support_community.webhooks.services import webhooks
from tests.community.api.support import Api, access_token
from tests.community.auth.fake_op import org

ACME = org("Acme Accounting BV", role="admin", id="6a1e0b2c-1111-4c4c-8d8d-0000000000aa")
PUBLIC_URL = "https://93.184.215.14/hooks"


@pytest.fixture()
def api(community_client) -> Api:
    return Api(community_client)


@pytest.fixture()
def admin_token(fake_panda):
    return access_token(fake_panda, fake_panda.add_user(orgs=[ACME]).sub)


def test_an_administrator_subscribes_and_gets_the_secret_once(api, admin_token):
    created = api.post(
        f"/orgs/{ACME['id']}/webhooks", admin_token, json={"url": PUBLIC_URL, "events": ["case.created"]}
    )
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    body = created.json
    assert body["secret"].startswith("whsec_") and body["organization_id"] == ACME["id"]
    assert created.headers["Location"].endswith(f"/api/v1/orgs/{ACME['id']}/webhooks/{body['id']}")

    listed = api.get(f"/orgs/{ACME['id']}/webhooks", admin_token).json["items"]
    assert [item["id"] for item in listed] == [body["id"]] and "secret" not in listed[0]
    one = api.get(f"/orgs/{ACME['id']}/webhooks/{body['id']}", admin_token)
    assert one.status_code == 200 and "secret" not in one.json

    assert api.open("DELETE", f"/orgs/{ACME['id']}/webhooks/{body['id']}", admin_token).status_code == 204
    assert db.session.scalars(select(WebhookSubscription)).all() == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "http://10.0.0.1/hook", "events": ["case.created"]}, "url"),
        ({"url": "http://localhost/hook", "events": ["case.created"]}, "url"),
        ({"url": PUBLIC_URL, "events": ["case.internal_note_added"]}, "events"),  # the vendor's only
        ({"url": PUBLIC_URL, "events": []}, "events"),
    ],
)
def test_a_refused_subscription_is_422_naming_the_field(api, admin_token, body, field):
    response = api.post(f"/orgs/{ACME['id']}/webhooks", admin_token, json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["field"] == field


def test_members_get_403_and_another_organizations_subscription_is_404(api, fake_panda, admin_token):
    other, _secret = webhooks.create(
        organization_id=uuid.uuid4(), url=PUBLIC_URL, description="", events=["case.created"], actor_id="x"
    )
    member = access_token(fake_panda, fake_panda.add_user(orgs=[{**ACME, "role": "member"}]).sub)
    assert api.get(f"/orgs/{ACME['id']}/webhooks", member).status_code == 403
    assert api.get(f"/orgs/{ACME['id']}/webhooks/{other.id}", admin_token).status_code == 404
    assert api.get(f"/orgs/{other.organization_id}/webhooks", admin_token).status_code == 404


def test_agents_read_and_delete_the_vendors_subscriptions(api, fake_panda, admin_token):
    vendor, _secret = webhooks.create(
        organization_id=None, url=PUBLIC_URL, description="ERP", events=["case.internal_note_added"], actor_id="x"
    )
    agent = access_token(fake_panda, fake_panda.add_user(roles=["support_agent"]).sub, scope="agent")
    assert [item["id"] for item in api.get("/webhooks", agent).json["items"]] == [str(vendor.id)]
    assert api.get("/webhooks", admin_token).status_code == 403  # not the vendor
    assert api.open("DELETE", f"/webhooks/{vendor.id}", agent).status_code == 204


def test_agents_subscribe_for_every_organization_and_others_cannot(api, fake_panda, admin_token):
    agent_sub = fake_panda.add_user(roles=["support_agent"]).sub
    agent = access_token(fake_panda, agent_sub, scope="agent")
    created = api.post(
        "/webhooks", agent, json={"url": PUBLIC_URL, "events": ["case.created", "case.internal_note_added"]}
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["organization_id"] is None and body["secret"].startswith("whsec_")
    assert created.headers["Location"].endswith(f"/api/v1/webhooks/{body['id']}")
    stored = db.session.get(WebhookSubscription, uuid.UUID(body["id"]))
    assert stored.is_vendor and stored.created_by_id == agent_sub
    assert stored.events == ["case.created", "case.internal_note_added"]

    # An organization's administrator is not the vendor; a private address is refused for agents too.
    assert api.post("/webhooks", admin_token, json={"url": PUBLIC_URL, "events": ["case.created"]}).status_code == 403
    private = api.post("/webhooks", agent, json={"url": "http://127.0.0.1/", "events": ["case.created"]})
    assert private.status_code == 422 and private.json["errors"][0]["field"] == "url"
    assert len(db.session.scalars(select(WebhookSubscription)).all()) == 1
