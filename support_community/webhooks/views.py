"""The webhook pages: ``/orgs/<org_id>/webhooks`` for an organization's administrators, ``/webhooks`` for agents."""

from __future__ import annotations

import uuid

from flask import Blueprint
from flask_babel import gettext as _

from shared.webhooks.views import add_routes
from support_community.auth.session import current_user
from support_community.extensions import db
from support_community.permissions import current_org
from support_community.webhooks.permissions import ORGANIZATION_CAPABILITY, VENDOR_CAPABILITY
from support_community.webhooks.services import webhooks

bp = Blueprint("webhooks", __name__)


def _organization_id(view_args: dict) -> uuid.UUID:
    org = current_org()
    assert org is not None  # resolved by ``permissions.can`` before the view runs
    return uuid.UUID(str(org.id))


def _organization_name() -> str:
    org = current_org()
    return org.name if org is not None else ""


def _ensure_person() -> str:
    """The acting person's row (the pause mail goes to its address)."""
    from support_community.cases.services import people

    user = current_user()
    assert user is not None
    return people.person_for(user).sub


add_routes(
    bp,
    name="org",
    prefix="/orgs/<org_id>/webhooks",
    capability=ORGANIZATION_CAPABILITY,
    webhooks=lambda: webhooks,
    owner=_organization_id,
    owner_title=_organization_name,
    actor_id=_ensure_person,
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
    actor_id=_ensure_person,
    db=db,
)
