"""A case as its customers see and work it: the conversation, replies, files, closing, following.

Every case is found through ``find_case(org_id, case_id)``, which filters by the
organization: a case of another organization is simply not found. Internal notes
and their attachments never leave this module towards a customer.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from shared.database import utcnow
from support_community.cases import notifications
from support_community.cases.models import (Attachment, Case, CaseEvent, CaseFollower, CaseMessage, MessageKind,
                                            Person, Status)
from support_community.cases.services import attachments, statuses
from support_community.cases.services.creating import clean_body
from support_community.cases.services.errors import CaseError
from support_community.extensions import db

# History a customer may see: what happened to the case, not how the vendor organizes its work.
PUBLIC_EVENT_FIELDS = ("status", "severity")
PUBLIC_MESSAGE_KINDS = (MessageKind.DESCRIPTION, MessageKind.REPLY)


def find_case(org_id: uuid.UUID | str, case_id: uuid.UUID | str) -> Case | None:
    """The case ``case_id`` if it belongs to the organization ``org_id``; otherwise None."""
    try:
        org_uuid = org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id))
        case_uuid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError:
        return None
    return db.session.scalar(select(Case).where(Case.id == case_uuid, Case.organization_id == org_uuid))


# -- reading ---------------------------------------------------------------------------------
@dataclass
class TimelineEntry:
    at: dt.datetime
    message: CaseMessage | None = None
    event: CaseEvent | None = None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "message" if self.message else "event" if self.event else "attachments"


def public_timeline(case: Case) -> list[TimelineEntry]:
    """Messages, files and changes of ``case`` in order, without anything internal (three queries)."""
    messages = db.session.scalars(
        select(CaseMessage).where(CaseMessage.case_id == case.id, CaseMessage.kind.in_(PUBLIC_MESSAGE_KINDS))
        .order_by(CaseMessage.created_at, CaseMessage.id)).all()
    files = db.session.scalars(
        select(Attachment).where(Attachment.case_id == case.id, Attachment.is_internal.is_(False))
        .order_by(Attachment.created_at, Attachment.filename)).all()
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.field.in_(PUBLIC_EVENT_FIELDS))
        .order_by(CaseEvent.created_at, CaseEvent.id)).all()

    by_message: dict[uuid.UUID, TimelineEntry] = {}
    entries: list[tuple[tuple, TimelineEntry]] = []
    for message in messages:
        entry = TimelineEntry(at=message.created_at, message=message)
        by_message[message.id] = entry
        entries.append(((message.created_at, 0), entry))
    loose: dict[tuple, TimelineEntry] = {}
    for item in files:
        if item.message_id is not None:
            owner = by_message.get(item.message_id)
            if owner is not None:
                owner.attachments.append(item)
            # A file of a message customers do not see (an internal note) is not shown either.
            continue
        key = (item.created_at, item.uploaded_by_sub)
        if key not in loose:
            loose[key] = TimelineEntry(at=item.created_at)
            entries.append(((item.created_at, 1), loose[key]))
        loose[key].attachments.append(item)
    for event in events:
        entries.append(((event.created_at, 2), TimelineEntry(at=event.created_at, event=event)))
    entries.sort(key=lambda pair: pair[0])
    return [entry for _, entry in entries]


def is_following(case: Case, sub: str) -> bool:
    return db.session.scalar(select(CaseFollower.person_sub).where(CaseFollower.case_id == case.id,
                                                                   CaseFollower.person_sub == sub)) is not None


def can_reply(case: Case) -> bool:
    return case.status != Status.CLOSED


# -- acting ----------------------------------------------------------------------------------
def _refuse_if_closed(case: Case) -> None:
    if not can_reply(case):
        raise CaseError(_("This case is closed. Reopen it to continue, or open a new case."))


def reply(case: Case, *, actor: Person, body: str | None,
          uploads: Sequence[attachments.Upload] = ()) -> CaseMessage:
    """A customer's public reply (with files); a case waiting for the customer goes back in progress."""
    _refuse_if_closed(case)
    text = clean_body(body, what="body")
    checked = attachments.check_files(uploads, case=case)
    now = utcnow()
    message = CaseMessage(case_id=case.id, author_sub=actor.sub, author=actor, kind=MessageKind.REPLY,
                          body=text, by_agent=False, created_at=now)
    db.session.add(message)
    db.session.flush()
    if checked:
        attachments.store_files(case, checked, actor=actor, message=message)
    case.last_activity_at = now
    statuses.customer_replied(case, actor=actor)
    db.session.flush()
    notifications.customer_replied(case, message, actor=actor)
    return message


def add_attachments(case: Case, *, actor: Person, uploads: Sequence[attachments.Upload]) -> list[Attachment]:
    """Files added to the case on their own (without a message)."""
    _refuse_if_closed(case)
    if not uploads:
        raise CaseError(_("Choose one or more files to attach."), field="attachments")
    checked = attachments.check_files(uploads, case=case)
    added = attachments.store_files(case, checked, actor=actor)
    case.last_activity_at = utcnow()
    db.session.flush()
    return added


def close(case: Case, *, actor: Person, comment: str | None = None) -> None:
    """The customer closes the case, optionally saying why (the comment becomes a public reply)."""
    if comment and len(comment) > 20_000:
        raise CaseError(_("A message can be at most %(max)s characters long.", max=20_000), field="comment")
    statuses.change_status(case, Status.CLOSED, actor=actor, comment=(comment or "").strip() or None)


def reopen(case: Case, *, actor: Person) -> None:
    """Back to work on a solved or closed case (within ``CASE_REOPEN_DAYS``; the status machine decides)."""
    statuses.change_status(case, Status.IN_PROGRESS, actor=actor)


def follow(case: Case, *, actor: Person) -> None:
    """Hear about the case by mail (idempotent: following twice is following)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(CaseFollower).values(case_id=case.id, person_sub=actor.sub, created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["case_id", "person_sub"]))


def unfollow(case: Case, *, actor: Person) -> None:
    db.session.execute(delete(CaseFollower).where(CaseFollower.case_id == case.id,
                                                  CaseFollower.person_sub == actor.sub))
