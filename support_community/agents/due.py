"""Due times as the workspace shows them: "due in 3 hours", "overdue by 2 days", "paused"."""

from __future__ import annotations

import datetime as dt

from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from shared.database import utcnow
from support_community.cases.models import Case
from support_community.cases.services import sla

WHAT = {
    "first_response": _l("First response"),
    "reply": _l("Next reply"),
    "resolution": _l("Resolution"),
}


def due_state(due: sla.Due) -> str:
    """A word for the page's colour: overdue, soon, paused, met, missed or due."""
    if due.paused:
        return "paused"
    if due.met is not None:
        return "met" if due.met else "missed"
    if due.overdue:
        return "overdue"
    return "soon" if due.breaching_soon else "due"


def due_text(due: sla.Due) -> str:
    state = due_state(due)
    if state == "paused":
        return _("Paused while the case waits for the customer")
    if state == "met":
        return _("Met")
    if state == "missed":
        return _("Missed")
    left = due.left or dt.timedelta()
    if state == "overdue":
        return _("Overdue by %(time)s", time=format_timedelta(-left, threshold=1.0))
    return _("Due in %(time)s", time=format_timedelta(left, threshold=1.0))


def next_due(case: Case, *, now: dt.datetime, soon: dt.datetime) -> sla.Due | None:
    """The queue's column: the earliest thing due while the team has the case."""
    if case.next_due_at is None:
        return None
    return sla.Due("next", case.next_due_at, now=now, soon=soon)


def queue_dues(cases: list[Case]) -> dict[object, sla.Due]:
    now = utcnow()
    soon = sla.soon_threshold(now)
    found = {case.id: next_due(case, now=now, soon=soon) for case in cases}
    return {case_id: due for case_id, due in found.items() if due is not None}
