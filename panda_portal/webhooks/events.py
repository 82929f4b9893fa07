"""Panda's webhook events and what each carries.

``membership.changed`` (someone joined, had their role changed, was removed or left),
``access.changed`` (an application access granted or revoked) and
``join_request.created`` reach the organization's subscriptions and the vendor's.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from shared.webhooks import EventType

MEMBERSHIP_CHANGED = "membership.changed"
ACCESS_CHANGED = "access.changed"
JOIN_REQUEST_CREATED = "join_request.created"

EVENTS = (
    EventType(MEMBERSHIP_CHANGED, _l("Someone joined, left or was removed, or their role changed")),
    EventType(ACCESS_CHANGED, _l("An application access was granted or revoked")),
    EventType(JOIN_REQUEST_CREATED, _l("Someone asked to join the organization")),
)


def iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def organization_data(organization: Any) -> dict[str, Any]:
    return {
        "id": str(organization.id),
        "name": organization.name,
        "enterprise_number": organization.enterprise_number,
        "customer_number": organization.customer_number,
    }


def member_data(account: Any, membership: Any | None) -> dict[str, Any]:
    return {
        "account_id": str(account.id),
        "name": account.name,
        "email": account.email,
        "role": str(membership.role) if membership is not None else None,
        "status": str(membership.status) if membership is not None else None,
        "applications": sorted(grant.application_key for grant in membership.grants) if membership is not None else [],
    }
