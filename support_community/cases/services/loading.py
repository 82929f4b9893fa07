"""Finding a case and its files: always within the organization, except for agents.

A customer reaches a case through ``find_case(org_id, case_id)``, which filters by the
organization from the URL: a case of another organization is simply not found.
Agents work across organizations (the token's ``roles`` decide that at the route) and
load a case by its id alone, locked when they are about to change it. Customers never
get a file of an internal note.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from support_community.cases.models import Attachment, Case
from support_community.extensions import db


def find_case(org_id: uuid.UUID | str, case_id: uuid.UUID | str) -> Case | None:
    """The case ``case_id`` if it belongs to the organization ``org_id``; otherwise None."""
    try:
        org_uuid = org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id))
        case_uuid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError:
        return None
    return db.session.scalar(select(Case).where(Case.id == case_uuid, Case.organization_id == org_uuid))


def find_any_case(case_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
    """Any organization's case, for agents; locked until the transaction ends when about to change it."""
    query = select(Case).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update(of=Case)
    return db.session.scalars(query).unique().one_or_none()


def find_attachment(case: Case, attachment_id: uuid.UUID, *, internal_too: bool = False) -> Attachment | None:
    """An attachment of ``case``; one of an internal note only with ``internal_too`` (agents)."""
    query = select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id)
    if not internal_too:
        query = query.where(Attachment.is_internal.is_(False))
    return db.session.scalars(query).one_or_none()
