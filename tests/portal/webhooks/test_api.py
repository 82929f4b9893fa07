"""Webhook subscriptions through Panda's API: the same service and rules as the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panda_portal.organizations.models import Role
from panda_portal.webhooks.models import WebhookSubscription
from panda_portal.webhooks.services import webhooks
from tests.portal.factories import forget_request_state

PUBLIC_URL = "https://93.184.215.14/hooks"


@pytest.fixture()
def token_of(panda, panda_db):
    from panda_portal.personal_tokens.services import create_token

    def make(account) -> str:
        with panda.test_request_context("/"):
            _row, value = create_token(account, name="script", scopes=["orgs:read", "orgs:admin"], actor=account)
        panda_db.session.commit()
        return value

    return make


@pytest.fixture()
def call(panda):
    client = panda.test_client(use_cookies=False)

    def request(method: str, url: str, token: str, json=None):
        forget_request_state()
        return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {token}"})

    return request


@pytest.fixture()
def team(make_account, make_org, make_membership):
    org = make_org()
    admin = make_account()
    member = make_account()
    make_membership(admin, org, role=Role.ADMIN)
    make_membership(member, org, role=Role.MEMBER)
    return org, admin, member


def test_an_administrator_subscribes_reads_and_deletes(call, token_of, team, panda_db):
    org, admin, _member = team
    token = token_of(admin)
    base = f"/api/v1/orgs/{org.id}/webhooks"
    created = call("POST", base, token, {"url": PUBLIC_URL, "events": ["membership.changed", "access.changed"]})
    assert created.status_code == 201 and created.json["secret"].startswith("whsec_")
    subscription_id = created.json["id"]
    assert created.headers["Location"].endswith(f"{base}/{subscription_id}")
    assert [item["id"] for item in call("GET", base, token).json["items"]] == [subscription_id]
    assert "secret" not in call("GET", f"{base}/{subscription_id}", token).json
    assert call("DELETE", f"{base}/{subscription_id}", token).status_code == 204
    assert panda_db.session.scalars(select(WebhookSubscription)).all() == []


def test_a_private_address_is_422_naming_the_url(call, token_of, team):
    org, admin, _member = team
    response = call(
        "POST",
        f"/api/v1/orgs/{org.id}/webhooks",
        token_of(admin),
        {"url": "http://[::1]/", "events": ["access.changed"]},
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["field"] == "url"


def test_members_get_403_outsiders_404_and_staff_see_the_vendors(call, token_of, team, make_account):
    org, _admin, member = team
    vendor, _secret = webhooks.create(
        organization_id=None, url=PUBLIC_URL, description="", events=["access.changed"], actor_id="x"
    )
    assert call("GET", f"/api/v1/orgs/{org.id}/webhooks", token_of(member)).status_code == 403
    assert call("GET", f"/api/v1/orgs/{org.id}/webhooks", token_of(make_account())).status_code == 404
    assert call("GET", "/api/v1/webhooks", token_of(member)).status_code == 403
    staff = token_of(make_account(support_agent=True))
    assert [item["id"] for item in call("GET", "/api/v1/webhooks", staff).json["items"]] == [str(vendor.id)]


def test_the_vendors_staff_subscribe_for_every_organization_and_administrators_cannot(
    call, token_of, team, make_account, panda_db
):
    from panda_portal.audit.models import AuditEvent

    _org, admin, _member = team
    agent = make_account(support_agent=True)
    created = call("POST", "/api/v1/webhooks", token_of(agent), {"url": PUBLIC_URL, "events": ["access.changed"]})
    assert created.status_code == 201, created.json
    assert created.json["organization_id"] is None and created.json["secret"].startswith("whsec_")
    assert created.headers["Location"].endswith(f"/api/v1/webhooks/{created.json['id']}")
    stored = panda_db.session.scalars(select(WebhookSubscription)).one()
    assert stored.is_vendor and stored.created_by_id == str(agent.id)
    # Recorded in the audit log, as from the page.
    event = panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.created")).one()
    assert event.actor_id == agent.id and event.target_id == created.json["id"] and event.organization_id is None

    refused = call("POST", "/api/v1/webhooks", token_of(admin), {"url": PUBLIC_URL, "events": ["access.changed"]})
    assert refused.status_code == 403
    private = call(
        "POST", "/api/v1/webhooks", token_of(agent), {"url": "http://10.1.2.3/", "events": ["access.changed"]}
    )
    assert private.status_code == 422 and private.json["errors"][0]["field"] == "url"
    assert len(panda_db.session.scalars(select(WebhookSubscription)).all()) == 1
