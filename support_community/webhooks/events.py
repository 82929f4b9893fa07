"""The community's webhook events: what each carries, built from the case services' signals.

``case.created``, ``case.replied`` (public messages only), ``case.status_changed`` and
``case.assigned`` reach an organization's subscriptions and the vendor's;
``case.internal_note_added`` only the vendor's: an internal note never leaves for a
customer's system.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from shared.webhooks import EventType

CASE_CREATED = "case.created"
CASE_REPLIED = "case.replied"
CASE_STATUS_CHANGED = "case.status_changed"
CASE_ASSIGNED = "case.assigned"
INTERNAL_NOTE_ADDED = "case.internal_note_added"

EVENTS = (
    EventType(CASE_CREATED, _l("A case was opened")),
    EventType(CASE_REPLIED, _l("A public reply was added to a case")),
    EventType(CASE_STATUS_CHANGED, _l("A case's status changed")),
    EventType(CASE_ASSIGNED, _l("A case was assigned to an agent")),
    EventType(INTERNAL_NOTE_ADDED, _l("An agent added an internal note (vendor only)"), vendor_only=True),
)


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def case_data(case: Any) -> dict[str, Any]:
    base = current_app.config["COMMUNITY_URL"].rstrip("/")
    return {
        "organization": {"id": str(case.organization_id), "name": case.organization_name},
        "case": {
            "id": str(case.id),
            "number": case.number,
            "subject": case.subject,
            "status": str(case.status),
            "severity": str(case.severity),
            "product": case.product_key,
            "opened_by": {"name": case.opened_by.name} if case.opened_by is not None else None,
            "assignee": {"name": case.assignee.name} if case.assignee is not None else None,
            "created_at": _iso(case.created_at),
            "url": f"{base}/orgs/{case.organization_id}/cases/{case.id}",
        },
    }


def message_data(message: Any) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "body": message.body,
        "by_agent": bool(message.by_agent),
        "author": {"name": message.author.name} if message.author is not None else None,
        "created_at": _iso(message.created_at),
    }
