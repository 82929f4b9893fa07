"""The conversation of a case: what customers and agents see of it, replies, files, closing, following.

Customers see the public timeline and reply in their organization's name; agents see
the whole case file and add public replies or internal notes. Internal notes and
their attachments never leave this module towards a customer. Cases are found with
``loading``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from shared.database import rowcount, utcnow
from support_community.auth.models import PersonOrganization
from support_community.cases import signals
from support_community.cases.emails.conversation import send_agent_replied, send_customer_replied
from support_community.cases.emails.statuses import send_status_changed
from support_community.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseFollower,
    CaseMessage,
    MessageKind,
    Person,
    Status,
)
from support_community.cases.services import attachments, statuses
from support_community.cases.services.creating import BODY_MAX, clean_body
from support_community.cases.services.errors import CaseError
from support_community.extensions import db

# History a customer may see: what happened to the case, not how the vendor organizes its work.
PUBLIC_EVENT_FIELDS = ("status", "severity")
PUBLIC_MESSAGE_KINDS = (MessageKind.DESCRIPTION, MessageKind.REPLY)


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
        select(CaseMessage)
        .where(CaseMessage.case_id == case.id, CaseMessage.kind.in_(PUBLIC_MESSAGE_KINDS))
        .order_by(CaseMessage.created_at, CaseMessage.id)
    ).all()
    files = db.session.scalars(
        select(Attachment)
        .where(Attachment.case_id == case.id, Attachment.is_internal.is_(False))
        .order_by(Attachment.created_at, Attachment.filename)
    ).all()
    events = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.field.in_(PUBLIC_EVENT_FIELDS))
        .order_by(CaseEvent.created_at, CaseEvent.id)
    ).all()

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


@dataclass
class CaseFile:
    """Everything an agent sees of a case: the whole conversation, internal notes included."""

    case: Case
    messages: list[CaseMessage]
    attachments: dict[uuid.UUID | None, list[Attachment]]  # per message (None: added on their own)
    events: list[CaseEvent]


def case_file(case: Case) -> CaseFile:
    """The agents' view of ``case`` (three queries)."""
    messages = list(
        db.session.scalars(
            select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.created_at, CaseMessage.id)
        ).unique()
    )
    by_message: dict[uuid.UUID | None, list[Attachment]] = {}
    for attachment in db.session.scalars(
        select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.created_at, Attachment.id)
    ):
        by_message.setdefault(attachment.message_id, []).append(attachment)
    events = list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.created_at, CaseEvent.id)
        ).unique()
    )
    return CaseFile(case=case, messages=messages, attachments=by_message, events=events)


def is_following(case: Case, sub: str) -> bool:
    return (
        db.session.scalar(
            select(CaseFollower.person_sub).where(CaseFollower.case_id == case.id, CaseFollower.person_sub == sub)
        )
        is not None
    )


def can_reply(case: Case) -> bool:
    return case.status != Status.CLOSED


# -- acting ----------------------------------------------------------------------------------
def _refuse_if_closed(case: Case) -> None:
    if not can_reply(case):
        raise CaseError(_("This case is closed. Reopen it to continue, or open a new case."))


def customer_reply(
    case: Case, *, actor: Person, body: str | None, uploads: Sequence[attachments.Upload] = ()
) -> CaseMessage:
    """A customer's public reply (with files); a case waiting for the customer goes back in progress."""
    _refuse_if_closed(case)
    text = clean_body(body, what="body")
    checked = attachments.check_files(uploads, case=case)
    now = utcnow()
    message = CaseMessage(
        case_id=case.id,
        author_sub=actor.sub,
        author=actor,
        kind=MessageKind.REPLY,
        body=text,
        by_agent=False,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    if checked:
        attachments.store_files(case, checked, actor=actor, message=message)
    case.last_activity_at = now
    statuses.customer_replied(case, actor=actor)
    db.session.flush()
    send_customer_replied(case, message, actor=actor)
    signals.announce(signals.message_added, case=case, message=message, actor=actor)
    return message


def agent_reply(
    case: Case,
    *,
    actor: Person,
    body: str | None,
    internal: bool = False,
    uploads: Sequence[attachments.Upload] = (),
    status: Status | None = None,
) -> CaseMessage:
    """An agent's public reply (mailed to the customer side) or internal note (shown to agents only).

    Files attached to an internal note are as internal as the note. An internal note
    leaves the case's last activity alone: customers see that date, and it must not
    tell them that something happened behind the scenes. With a ``status`` other than
    the current one the case moves to it in the same step, and the customer side gets
    one mail: the status change with the reply in it (for an internal note: the change
    alone). Raises ``CaseError`` (an empty message, a file refused) or
    ``statuses.StatusChangeError`` (a move the agents' table does not allow) before
    anything is written.
    """
    text = clean_body(body, what="body")
    checked = attachments.check_files(uploads, case=case)
    new_status = status if status is not None and status != case.status else None
    if new_status is not None and new_status not in statuses.allowed_next(case, by_agent=True):
        raise statuses.InvalidTransitionError()
    now = utcnow()
    message = CaseMessage(
        case_id=case.id,
        author_sub=actor.sub,
        author=actor,
        body=text,
        by_agent=True,
        kind=MessageKind.INTERNAL_NOTE if internal else MessageKind.REPLY,
        created_at=now,
    )
    db.session.add(message)
    if not internal:
        case.last_activity_at = now
    old_status = case.status
    if new_status is not None:
        # The status machine's own record (history, solved/closed times, last activity); its mail is sent below.
        statuses.record_change(case, old_status, new_status, actor=actor, now=now)
    db.session.flush()
    if checked:
        attachments.store_files(case, checked, actor=actor, message=message, internal=internal)
    if new_status is not None:
        send_status_changed(
            case, old_status.value, new_status.value, actor=actor, comment=None if internal else message, by_agent=True
        )
    elif not internal:
        send_agent_replied(case, message, actor=actor)
    signals.announce(signals.message_added, case=case, message=message, actor=actor)
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
    if comment and len(comment) > BODY_MAX:
        raise CaseError(_("A message can be at most %(max)s characters long.", max=BODY_MAX), field="comment")
    statuses.change_status(case, Status.CLOSED, actor=actor, comment=(comment or "").strip() or None)


def reopen(case: Case, *, actor: Person) -> None:
    """Back to work on a solved or closed case (within ``CASE_REOPEN_DAYS``; the status machine decides)."""
    statuses.change_status(case, Status.IN_PROGRESS, actor=actor)


def follow(case: Case, *, actor: Person) -> None:
    """Hear about the case by mail (idempotent: following twice is following)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(CaseFollower)
        .values(case_id=case.id, person_sub=actor.sub, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["case_id", "person_sub"])
    )


def unfollow(case: Case, *, actor: Person) -> None:
    db.session.execute(
        delete(CaseFollower).where(CaseFollower.case_id == case.id, CaseFollower.person_sub == actor.sub)
    )


def stop_following_what_is_no_longer_theirs(sub: str) -> int:
    """Someone lost access to organizations: they stop following those organizations' cases.

    Kept: the cases of organizations still in their list (``auth.access``). One statement,
    whatever the number of cases or organizations. Returns how many follows ended.
    """
    still_theirs = exists(
        select(Case.id)
        .join(PersonOrganization, PersonOrganization.organization_id == Case.organization_id)
        .where(Case.id == CaseFollower.case_id, PersonOrganization.sub == sub)
    )
    return rowcount(
        db.session.execute(
            delete(CaseFollower)
            .where(CaseFollower.person_sub == sub, ~still_theirs)
            .execution_options(synchronize_session=False)
        )
    )
