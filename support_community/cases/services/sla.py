"""Service levels: the first reply and the resolution each case is due, in business hours.

Each severity has two targets (``SLA_FIRST_RESPONSE_HOURS``, ``SLA_RESOLUTION_HOURS``),
counted on the team's business calendar (``business_hours.BusinessCalendar``: working days
and hours in Europe/Brussels, Belgian public holidays). The due times are stored on the case,
so the queue sorts and filters on them with an index:

- when a case opens, its first reply is due ``first response`` business hours later and its
  resolution ``resolution`` business hours later;
- an agent's public reply answers the customer; a customer's message that then arrives is due
  an answer within the first-response target again (``reply_due_at``);
- while a case waits for the customer (or is solved or closed) its clock is paused: the
  business time of the pause pushes the resolution due time back when work resumes;
- a change of severity applies the new severity's targets from the case's opening.

``next_due_at`` is the earliest of what is due while the team has the case in hand (new or in
progress), and nothing otherwise. These are kept whatever writes the case (a page, a mail
reply, a bulk action, the command line): a session hook (``_keep_due_times``) looks at the
cases, statuses, severities and messages about to be written and updates the due times in
the same flush.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, event, inspect, select
from sqlalchemy.orm import Session

from shared.database import utcnow
from support_community.cases.business_hours import BusinessCalendar, parse_targets
from support_community.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseMessage, MessageKind, Severity, Status
from support_community.extensions import db

ACTIVE_STATUSES = (Status.NEW, Status.IN_PROGRESS)  # the team has the case in hand: its clock runs
SEVERITY_NAMES = tuple(severity.value for severity in Severity)


@dataclass(frozen=True)
class Policy:
    """The calendar and the targets (business hours per severity) the service runs with."""

    calendar: BusinessCalendar
    first_response: dict[str, float]
    resolution: dict[str, float]
    warning_hours: float

    def first_response_seconds(self, severity: Severity | str) -> float | None:
        hours = self.first_response.get(Severity(severity).value)
        return hours * 3600 if hours else None

    def resolution_seconds(self, severity: Severity | str) -> float | None:
        hours = self.resolution.get(Severity(severity).value)
        return hours * 3600 if hours else None


def policy() -> Policy:
    """The application's policy, read from its settings once (and again when they change)."""
    config = current_app.config
    key = tuple(
        config[name]
        for name in (
            "SLA_TIMEZONE",
            "SLA_BUSINESS_HOURS",
            "SLA_BUSINESS_DAYS",
            "SLA_HOLIDAYS",
            "SLA_FIRST_RESPONSE_HOURS",
            "SLA_RESOLUTION_HOURS",
            "SLA_WARNING_HOURS",
        )
    )
    cached = current_app.extensions.get("sla_policy")
    if cached is not None and cached[0] == key:
        return cached[1]
    zone, hours, days, country, first, resolution, warning = key
    made = Policy(
        calendar=BusinessCalendar.from_settings(zone=zone, hours=hours, days=days, country=country or ""),
        first_response=parse_targets(first, SEVERITY_NAMES),
        resolution=parse_targets(resolution, SEVERITY_NAMES),
        warning_hours=float(warning),
    )
    current_app.extensions["sla_policy"] = (key, made)
    return made


# -- keeping a case's due times ----------------------------------------------------------------
def refresh(case: Case, *, rules: Policy | None = None) -> None:
    """Compute the due times from what the case records (opening, replies, pauses, severity)."""
    rules = rules or policy()
    calendar = rules.calendar
    first = rules.first_response_seconds(case.severity)
    resolution = rules.resolution_seconds(case.severity)
    active = case.status in ACTIVE_STATUSES
    if case.first_responded_at is None or case.first_response_due_at is None:
        case.first_response_due_at = calendar.add(case.created_at, first) if first else None
    if active and first and case.awaiting_reply_since is not None:
        case.reply_due_at = calendar.add(case.awaiting_reply_since, first)
    else:
        case.reply_due_at = None
    case.resolution_due_at = (
        calendar.add(case.created_at, resolution + (case.sla_paused_seconds or 0)) if resolution else None
    )
    due = [moment for moment in (case.reply_due_at, case.resolution_due_at) if moment is not None]
    case.next_due_at = min(due) if active and due else None


def case_opened(case: Case, *, rules: Policy | None = None) -> None:
    """A new case: its description waits for a first reply."""
    if case.created_at is None:  # the column's default, given now so the due times can count from it
        case.created_at = utcnow()
    case.awaiting_reply_since = case.created_at
    case.sla_paused_seconds = case.sla_paused_seconds or 0
    if case.status not in ACTIVE_STATUSES and case.sla_paused_since is None:
        case.sla_paused_since = case.created_at
    refresh(case, rules=rules)


def message_added(case: Case, message: CaseMessage, *, rules: Policy | None = None) -> None:
    """A public message: an agent's answers the customer, a customer's waits for an answer."""
    if message.kind == MessageKind.INTERNAL_NOTE:
        return
    at = message.created_at or utcnow()
    if message.by_agent:
        if message.kind == MessageKind.REPLY:
            if case.first_responded_at is None:
                case.first_responded_at = at
            case.awaiting_reply_since = None
    elif case.awaiting_reply_since is None:
        case.awaiting_reply_since = at
    refresh(case, rules=rules)


def status_changed(case: Case, old: Status, new: Status, *, at: dt.datetime, rules: Policy | None = None) -> None:
    """The clock pauses while nobody at the team can act (waiting for the customer, solved, closed)."""
    rules = rules or policy()
    was_running, runs = old in ACTIVE_STATUSES, new in ACTIVE_STATUSES
    if was_running and not runs:
        case.sla_paused_since = at
    elif runs and not was_running and case.sla_paused_since is not None:
        paused = rules.calendar.between(case.sla_paused_since, at)
        case.sla_paused_seconds = int((case.sla_paused_seconds or 0) + paused)
        case.sla_paused_since = None
    refresh(case, rules=rules)


def recompute(cases: Iterable[Case]) -> int:
    """Due times again from the cases' conversations (after the targets or the calendar changed)."""
    rules = policy()
    done = 0
    for case in cases:
        public = db.session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case.id, CaseMessage.kind != MessageKind.INTERNAL_NOTE)
            .order_by(CaseMessage.created_at, CaseMessage.id)
        ).all()
        case.first_responded_at = None
        case.first_response_due_at = None
        case.awaiting_reply_since = None
        for message in public:
            if message.by_agent and message.kind == MessageKind.REPLY:
                case.first_responded_at = case.first_responded_at or message.created_at
                case.awaiting_reply_since = None
            elif not message.by_agent and case.awaiting_reply_since is None:
                case.awaiting_reply_since = message.created_at
        if case.status not in ACTIVE_STATUSES and case.sla_paused_since is None:
            case.sla_paused_since = db.session.scalar(
                select(CaseEvent.created_at)
                .where(CaseEvent.case_id == case.id, CaseEvent.field == "status")
                .order_by(CaseEvent.created_at.desc())
                .limit(1)
            ) or (case.solved_at or case.closed_at or case.last_activity_at)
        refresh(case, rules=rules)
        done += 1
    db.session.flush()
    return done


def recompute_open() -> int:
    """``community sla recompute``: every open case."""
    return recompute(db.session.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES))).unique())


# -- what the queue asks -------------------------------------------------------------------------
def soon_threshold(now: dt.datetime | None = None, *, rules: Policy | None = None) -> dt.datetime:
    """Cases due before this moment are breaching: overdue, or due within the warning's business hours."""
    rules = rules or policy()
    return rules.calendar.add(now or utcnow(), rules.warning_hours * 3600)


def breaching_condition(now: dt.datetime | None = None) -> ColumnElement[bool]:
    """The cases of the "breaching SLA" view (the team's cases only: waiting ones have nothing due)."""
    return Case.next_due_at <= soon_threshold(now)


def due_order() -> list[ColumnElement[Any]]:
    """Soonest due first, cases with nothing due last."""
    return [Case.next_due_at.is_(None), Case.next_due_at.asc()]


@dataclass(frozen=True)
class Due:
    """One due time as a page shows it."""

    what: str  # "first_response" | "reply" | "resolution"
    at: dt.datetime | None
    met_at: dt.datetime | None = None
    paused: bool = False
    now: dt.datetime | None = None
    soon: dt.datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.at is not None and self.met_at is None and not self.paused and self.at <= (self.now or utcnow())

    @property
    def breaching_soon(self) -> bool:
        return (
            self.at is not None
            and self.met_at is None
            and not self.paused
            and not self.overdue
            and self.soon is not None
            and self.at <= self.soon
        )

    @property
    def met(self) -> bool | None:
        if self.met_at is None or self.at is None:
            return None
        return self.met_at <= self.at

    @property
    def left(self) -> dt.timedelta | None:
        return None if self.at is None else self.at - (self.now or utcnow())


def due_times(case: Case, *, now: dt.datetime | None = None) -> list[Due]:
    """What the case page shows: first response, the next reply when one is awaited, the resolution."""
    now = now or utcnow()
    soon = soon_threshold(now)
    paused = case.status not in ACTIVE_STATUSES
    finished = (case.solved_at or case.closed_at) if case.status in (Status.SOLVED, Status.CLOSED) else None
    shown = []
    if case.first_responded_at is not None or case.status not in (Status.SOLVED, Status.CLOSED):
        # (A case finished without a public reply shows no first response to wait for.)
        shown.append(
            Due(
                "first_response",
                case.first_response_due_at,
                case.first_responded_at,
                paused=paused and case.first_responded_at is None,
                now=now,
                soon=soon,
            )
        )
    if case.reply_due_at is not None and case.first_responded_at is not None:
        shown.append(Due("reply", case.reply_due_at, now=now, soon=soon))
    shown.append(
        Due(
            "resolution",
            case.resolution_due_at,
            finished,
            paused=paused and finished is None,
            now=now,
            soon=soon,
        )
    )
    return [due for due in shown if due.at is not None]


# -- kept whatever writes the case ---------------------------------------------------------------
def _history(case: Case, name: str) -> tuple[object, object] | None:
    attribute = inspect(case).attrs[name].history
    if not attribute.has_changes():
        return None
    old = attribute.deleted[0] if attribute.deleted else None
    new = attribute.added[0] if attribute.added else None
    return old, new


def install() -> None:
    """Keep the due times in every flush of the community's sessions (called by ``create_app``; idempotent)."""
    if not event.contains(Session, "before_flush", _keep_due_times):
        event.listen(Session, "before_flush", _keep_due_times)


def _keep_due_times(session: Session, _flush_context: object, _instances: object) -> None:
    cases = [obj for obj in session.new if isinstance(obj, Case)]
    messages = [obj for obj in session.new if isinstance(obj, CaseMessage)]
    changed = [obj for obj in session.dirty if isinstance(obj, Case)]
    if (
        not (cases or messages or changed)
        or not has_app_context()
        or "SLA_FIRST_RESPONSE_HOURS" not in current_app.config
    ):
        return
    rules = policy()
    for case in cases:
        case_opened(case, rules=rules)
    for case in changed:
        status = _history(case, "status")
        if status is not None and status[0] is not None and status[0] != status[1]:
            old, new = Status(str(status[0])), Status(str(status[1]))
            at = case.last_activity_at if _history(case, "last_activity_at") is not None else utcnow()
            status_changed(case, old, new, at=at or utcnow(), rules=rules)
        elif _history(case, "severity") is not None:
            refresh(case, rules=rules)
    with session.no_autoflush:
        for message in sorted(messages, key=lambda m: m.created_at or utcnow()):
            owner = session.get(Case, message.case_id)
            if owner is not None:
                message_added(owner, message, rules=rules)
