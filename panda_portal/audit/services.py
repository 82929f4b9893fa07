"""The audit log: events recorded in the same transaction as the change they describe, and read a page at a time.

Each page is one query (events with the names they refer to, joined), newest
first; one row more than a page is read to know whether there is an older page.
Application keys in the recorded changes are shown by the application's name in
the reader's language (one more, small query).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import aliased

from panda_portal.accounts.models import Account
from panda_portal.audit.labels import EventRow
from panda_portal.audit.models import AuditEvent
from panda_portal.extensions import db
from panda_portal.organizations.models import Application, Organization

PER_PAGE = 50


def record(
    action: str,
    *,
    actor: Account | None,
    target_type: str,
    target_id: Any = None,
    organization_id: uuid.UUID | None = None,
    subject_account_id: uuid.UUID | None = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
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


# -- reading -------------------------------------------------------------------------------
@dataclass
class EventPage:
    events: list[EventRow]
    has_older: bool


def organization_events(organization_id: uuid.UUID, *, page: int, language: str) -> EventPage:
    """What happened in an organization, newest first (``page`` counts from 1)."""
    return _events(AuditEvent.organization_id == organization_id, page=page, language=language)


def account_activity(account_id: uuid.UUID, *, page: int, language: str) -> EventPage:
    """What a person did, and what was done to their account or memberships, newest first."""
    return _events(
        or_(AuditEvent.actor_id == account_id, AuditEvent.subject_account_id == account_id),
        page=page,
        language=language,
    )


def _events(condition: ColumnElement[bool], *, page: int, language: str) -> EventPage:
    subject = aliased(Account)
    rows = db.session.execute(
        select(AuditEvent, subject.name, Organization.name)
        .outerjoin(subject, subject.id == AuditEvent.subject_account_id)
        .outerjoin(Organization, Organization.id == AuditEvent.organization_id)
        .where(condition)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    names = {application.key: application.name(language) for application in db.session.scalars(select(Application))}
    events = [
        EventRow(event, subject_name, organization_name, names)
        for event, subject_name, organization_name in rows[:PER_PAGE]
    ]
    return EventPage(events, has_older=len(rows) > PER_PAGE)
