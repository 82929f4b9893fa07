"""Record audit events in the same transaction as the change they describe."""
from __future__ import annotations

import uuid
from typing import Any

from flask import has_request_context, request

from panda_portal.accounts.models import Account
from panda_portal.audit.models import AuditEvent
from panda_portal.extensions import db


def record(action: str, *, actor: Account | None, target_type: str, target_id: Any = None,
           organization_id: uuid.UUID | None = None, subject_account_id: uuid.UUID | None = None,
           before: dict | None = None, after: dict | None = None, actor_label: str | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller's commit keeps both or neither)."""
    ip = agent = None
    if has_request_context():
        ip = request.remote_addr
        agent = (request.user_agent.string or "")[:300] or None
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (f"{actor.name} <{actor.email}>" if actor is not None else "system"),
        organization_id=organization_id,
        subject_account_id=subject_account_id,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        before=_jsonable(before),
        after=_jsonable(after),
        ip_address=ip,
        user_agent=agent,
    )
    db.session.add(event)
    return event


def _jsonable(value: dict | None) -> dict | None:
    if value is None:
        return None
    out: dict = {}
    for key, item in value.items():
        if isinstance(item, (str, int, float, bool)) or item is None:
            out[key] = item
        elif isinstance(item, (list, tuple, set)):
            out[key] = sorted(str(x) for x in item)
        else:
            out[key] = str(getattr(item, "value", item))
    return out
