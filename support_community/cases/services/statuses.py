"""The status machine of a case (new → in progress → waiting for customer → solved → closed).

Agents may make every transition in ``AGENT_TRANSITIONS``. Customers may only
close a case (from any open status, or once solved) and reopen a solved or
closed case within ``CASE_REOPEN_DAYS`` of it being solved or closed. Every change
leaves a ``CaseEvent`` (who, old, new, when) and tells the people concerned.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _

from shared.database import utcnow
from shared.errors import DomainError
from support_community.cases import signals
from support_community.cases.emails.statuses import send_status_changed
from support_community.cases.labels import STATUS_ORDER
from support_community.cases.models import Case, CaseEvent, CaseMessage, MessageKind, Person, Status
from support_community.extensions import db

AGENT_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER, Status.SOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING_FOR_CUSTOMER, Status.SOLVED, Status.CLOSED}),
    Status.WAITING_FOR_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED}),
    Status.SOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}

CUSTOMER_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.CLOSED}),
    Status.WAITING_FOR_CUSTOMER: frozenset({Status.CLOSED}),
    Status.SOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}

# Going back to work on a case that was finished.
REOPENABLE = frozenset({Status.SOLVED, Status.CLOSED})


class StatusChangeError(DomainError):
    """A status change was refused; ``message`` tells the person why."""


class InvalidTransitionError(StatusChangeError):
    def __init__(self) -> None:
        super().__init__(_("The case cannot go from its current status to the one you chose."))


class ReopenWindowClosedError(StatusChangeError):
    def __init__(self, days: int) -> None:
        super().__init__(
            _(
                "This case can no longer be reopened: it was finished more than %(days)s days ago. "
                "Please open a new case.",
                days=days,
            )
        )


def reopen_days() -> int:
    return int(current_app.config["CASE_REOPEN_DAYS"])


def _finished_at(case: Case) -> dt.datetime | None:
    if case.status == Status.CLOSED:
        return case.closed_at or case.solved_at
    if case.status == Status.SOLVED:
        return case.solved_at
    return None


def reopen_window_open(case: Case, *, now: dt.datetime | None = None) -> bool:
    """Whether a customer may still reopen ``case`` (solved or closed, recently enough)."""
    if case.status not in REOPENABLE:
        return False
    finished = _finished_at(case)
    if finished is None:  # finished before the timestamps were kept: give the benefit of the doubt
        return True
    return (now or utcnow()) - finished <= dt.timedelta(days=reopen_days())


def allowed_next(case: Case, *, by_agent: bool, now: dt.datetime | None = None) -> list[Status]:
    """The statuses ``case`` may move to now, for an agent or for a customer, in display order."""
    table = AGENT_TRANSITIONS if by_agent else CUSTOMER_TRANSITIONS
    allowed = table.get(case.status, frozenset())
    if not by_agent and case.status in REOPENABLE and not reopen_window_open(case, now=now):
        allowed = allowed - {Status.IN_PROGRESS}
    return [status for status in STATUS_ORDER if status in allowed]


def customer_can_close(case: Case) -> bool:
    return Status.CLOSED in CUSTOMER_TRANSITIONS.get(case.status, frozenset())


def customer_can_reopen(case: Case, *, now: dt.datetime | None = None) -> bool:
    return reopen_window_open(case, now=now)


def _check(case: Case, new: Status, *, by_agent: bool, now: dt.datetime) -> None:
    table = AGENT_TRANSITIONS if by_agent else CUSTOMER_TRANSITIONS
    if new not in table.get(case.status, frozenset()):
        raise InvalidTransitionError()
    if not by_agent and case.status in REOPENABLE and new not in REOPENABLE and not reopen_window_open(case, now=now):
        raise ReopenWindowClosedError(reopen_days())


def record_change(case: Case, old: Status, new: Status, *, actor: Person, now: dt.datetime) -> CaseEvent:
    case.status = new
    if new == Status.SOLVED:
        case.solved_at = now
        case.closed_at = None
    elif new == Status.CLOSED:
        case.closed_at = now
    elif old in REOPENABLE:
        # Reopened: the case is no longer finished, and the window starts afresh next time.
        case.solved_at = None
        case.closed_at = None
    case.last_activity_at = now
    event = CaseEvent(
        case_id=case.id,
        actor_sub=actor.sub,
        actor=actor,
        field="status",
        old_value=old.value,
        new_value=new.value,
        created_at=now,
    )
    db.session.add(event)
    signals.announce(signals.status_changed, case=case, old=old, new=new, actor=actor)
    return event


def change_status(
    case: Case,
    new: Status,
    *,
    actor: Person,
    comment: str | None = None,
    by_agent: bool = False,
    internal: bool = False,
) -> CaseEvent:
    """Move ``case`` to ``new`` if the machine allows it; records history and notifies.

    ``by_agent`` applies the agents' table (the caller has checked the person is
    an agent: the token's roles decide). A ``comment`` becomes a public reply, or
    an internal note when an agent asks for ``internal``; it travels in the one
    mail that announces the change.
    """
    new = Status(new)
    if internal and not by_agent:
        raise InvalidTransitionError()
    now = utcnow()
    _check(case, new, by_agent=by_agent, now=now)
    old = case.status
    event = record_change(case, old, new, actor=actor, now=now)
    message = None
    text = (comment or "").strip()
    if text:
        message = CaseMessage(
            case_id=case.id,
            author_sub=actor.sub,
            author=actor,
            body=text,
            by_agent=by_agent,
            kind=MessageKind.INTERNAL_NOTE if internal else MessageKind.REPLY,
            created_at=now,
        )
        db.session.add(message)
    db.session.flush()
    send_status_changed(
        case,
        old.value,
        new.value,
        actor=actor,
        comment=None if message is None or message.is_internal else message,
        by_agent=by_agent,
    )
    if message is not None:
        signals.announce(signals.message_added, case=case, message=message, actor=actor)
    return event


def customer_replied(case: Case, *, actor: Person) -> CaseEvent | None:
    """A customer's reply to a case waiting for them puts it back in progress.

    The reply's own notification tells the agents; no separate mail announces this change.
    """
    if case.status != Status.WAITING_FOR_CUSTOMER:
        return None
    now = utcnow()
    event = record_change(case, case.status, Status.IN_PROGRESS, actor=actor, now=now)
    db.session.flush()
    return event
