"""Webhook subscriptions in Panda's API: ``/api/v1/orgs/<org_id>/webhooks`` (``orgs:admin``, the organization's
administrators) and ``/api/v1/webhooks`` (``orgs:admin``, the vendor's staff: every organization)."""

from __future__ import annotations

import uuid

from panda_portal.api.app import api
from panda_portal.extensions import db
from panda_portal.webhooks.permissions import ORGANIZATION_CAPABILITY, VENDOR_CAPABILITY
from panda_portal.webhooks.services import webhooks
from shared.webhooks.api import add_api_routes


def _actor_id() -> str:
    from panda_portal.api.common import acting_person

    return str(acting_person().id)


def _organization_id(view_args: dict) -> uuid.UUID:
    from panda_portal.organizations.permissions import current_organization

    return current_organization().id


add_api_routes(
    api.blueprint,
    name="org",
    prefix="/orgs/<uuid:org_id>/webhooks",
    scope="orgs:admin",
    capability=ORGANIZATION_CAPABILITY,
    webhooks=lambda: webhooks,
    owner=_organization_id,
    actor_id=_actor_id,
    db=db,
    who="an organization's administrators",
)
add_api_routes(
    api.blueprint,
    name="vendor",
    prefix="/webhooks",
    scope="orgs:admin",
    capability=VENDOR_CAPABILITY,
    webhooks=lambda: webhooks,
    owner=lambda view_args: None,
    actor_id=_actor_id,
    db=db,
    who="the vendor (every organization)",
)
