"""Webhook subscriptions in the community's API: ``/api/v1/orgs/<org_id>/webhooks`` (``cases:write``, an
organization's administrators) and ``/api/v1/webhooks`` (``agent``, every organization)."""

from __future__ import annotations

import uuid

from shared.webhooks.api import add_api_routes
from support_community.api.blueprint import bp
from support_community.extensions import db
from support_community.webhooks.permissions import ORGANIZATION_CAPABILITY, VENDOR_CAPABILITY
from support_community.webhooks.services import webhooks


def _actor_id() -> str:
    from support_community.api.present import acting_person

    return acting_person().sub


add_api_routes(
    bp,
    name="org",
    prefix="/orgs/<uuid:org_id>/webhooks",
    scope="cases:write",
    capability=ORGANIZATION_CAPABILITY,
    webhooks=lambda: webhooks,
    owner=lambda view_args: uuid.UUID(str(view_args["org_id"])),
    actor_id=_actor_id,
    db=db,
    who="an organization's administrators",
)
add_api_routes(
    bp,
    name="vendor",
    prefix="/webhooks",
    scope="agent",
    capability=VENDOR_CAPABILITY,
    webhooks=lambda: webhooks,
    owner=lambda view_args: None,
    actor_id=_actor_id,
    db=db,
    who="the vendor (every organization)",
)
