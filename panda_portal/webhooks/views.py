"""The webhook pages: ``/orgs/<org_id>/webhooks`` for an organization's administrators, ``/webhooks`` for staff."""

from __future__ import annotations

import uuid

from flask import Blueprint
from flask_babel import gettext as _

from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db
from panda_portal.organizations.permissions import current_organization
from panda_portal.webhooks.permissions import ORGANIZATION_CAPABILITY, VENDOR_CAPABILITY
from panda_portal.webhooks.services import webhooks
from shared.webhooks.views import add_routes

bp = Blueprint("webhooks", __name__)


def _organization_id(view_args: dict) -> uuid.UUID:
    return current_organization().id


def _actor_id() -> str:
    return str(signed_in_account().id)


add_routes(
    bp,
    name="org",
    prefix="/orgs/<org_id>/webhooks",
    capability=ORGANIZATION_CAPABILITY,
    webhooks=lambda: webhooks,
    owner=_organization_id,
    owner_title=lambda: current_organization().name,
    actor_id=_actor_id,
    db=db,
)
add_routes(
    bp,
    name="vendor",
    prefix="/webhooks",
    capability=VENDOR_CAPABILITY,
    webhooks=lambda: webhooks,
    owner=lambda view_args: None,
    owner_title=lambda: _("All organizations"),
    actor_id=_actor_id,
    db=db,
)
