"""Changing several cases at once from the queue: assignee, status, severity, all or nothing.

The cases are locked in the order of their ids (two agents changing overlapping selections
wait for each other instead of deadlocking), every change is then checked against the locked
rows, and only when every case may take it is anything written. Each case is then changed by
the same use case as its own page (``assignment.assign``, ``statuses.change_status``,
``severity.change_severity``): the same history and the same mails, in one transaction.
A selection naming a case that does not exist, or a change one case may not take, refuses
the whole selection.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from shared.errors import DomainError
from support_community.cases.labels import status_label
from support_community.cases.models import Case, Person, Severity, Status
from support_community.cases.services import assignment, statuses
from support_community.cases.services.severity import change_severity
from support_community.extensions import db

SELECTION_MAX = 100
UNCHANGED = "unchanged"  # the assignee is left alone (None means: nobody)


class BulkChangeError(DomainError):
    """The selection or the change was refused as a whole; ``message`` says why."""


@dataclass(frozen=True)
class BulkChange:
    """What to do to every selected case; ``None`` (or ``UNCHANGED`` for the assignee) leaves it alone."""

    assignee: Person | None | str = UNCHANGED
    status: Status | None = None
    severity: Severity | None = None

    @property
    def is_empty(self) -> bool:
        return self.assignee == UNCHANGED and self.status is None and self.severity is None


@dataclass
class BulkResult:
    cases: list[Case]
    changed: int = 0  # how many cases changed in some way
    events: int = 0  # how many changes were recorded
    numbers: list[str] = field(default_factory=list)


def parse_ids(values: Iterable[str]) -> list[uuid.UUID]:
    """The selected case ids; anything that is not one refuses the selection."""
    ids: list[uuid.UUID] = []
    for value in values:
        try:
            case_id = uuid.UUID(str(value))
        except ValueError:
            raise BulkChangeError(
                _("The selection holds something that is not a case. Select the cases again.")
            ) from None
        if case_id not in ids:
            ids.append(case_id)
    if not ids:
        raise BulkChangeError(_("Select one or more cases first."))
    if len(ids) > SELECTION_MAX:
        raise BulkChangeError(_("Select at most %(max)s cases at once.", max=SELECTION_MAX))
    return ids


def selected(ids: list[uuid.UUID], *, lock: bool = False) -> list[Case]:
    """The selected cases in the order of their ids, every one of them or none (``BulkChangeError``)."""
    query = select(Case).where(Case.id.in_(ids)).order_by(Case.id)
    if lock:
        query = query.with_for_update(of=Case)
    cases = list(db.session.scalars(query).unique())
    if len(cases) != len(ids):
        raise BulkChangeError(
            _("One of the selected cases does not exist or cannot be changed here. Nothing was changed.")
        )
    return cases


def check(cases: list[Case], change: BulkChange) -> None:
    """Refuse the whole change when one case may not take it (naming the cases)."""
    if change.is_empty:
        raise BulkChangeError(_("Choose what to change: an assignee, a status or a severity."))
    if isinstance(change.assignee, Person) and not change.assignee.is_agent:
        raise assignment.NotAnAgentError()
    if change.status is not None:
        refused = [
            case.number
            for case in cases
            if case.status != change.status and change.status not in statuses.allowed_next(case, by_agent=True)
        ]
        if refused:
            raise BulkChangeError(
                ngettext(
                    "Case %(numbers)s cannot go to “%(status)s” from its current status. Nothing was changed.",
                    "Cases %(numbers)s cannot go to “%(status)s” from their current status. Nothing was changed.",
                    len(refused),
                    numbers=", ".join(refused),
                    status=status_label(change.status),
                )
            )


def apply(ids: list[uuid.UUID], change: BulkChange, *, actor: Person) -> BulkResult:
    """Lock, check, then change every selected case as its own page would; all or nothing."""
    cases = selected(ids, lock=True)
    check(cases, change)
    result = BulkResult(cases=cases)
    for case in cases:
        events = 0
        if change.assignee != UNCHANGED:
            assignee = change.assignee if isinstance(change.assignee, Person) else None
            events += assignment.assign(case, assignee, actor=actor) is not None
        if change.severity is not None:
            events += change_severity(case, change.severity, actor=actor) is not None
        if change.status is not None and case.status != change.status:
            statuses.change_status(case, change.status, actor=actor, by_agent=True)
            events += 1
        if events:
            result.changed += 1
            result.events += events
            result.numbers.append(case.number)
    db.session.flush()
    return result
