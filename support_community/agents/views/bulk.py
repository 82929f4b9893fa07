"""Bulk changes from the queue: review the selected cases and the change, then confirm it once."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from shared.access import requires
from support_community.agents.forms import BulkForm
from support_community.agents.views import bp
from support_community.auth.session import current_user
from support_community.cases.models import Severity, Status
from support_community.cases.services import assignment, bulk
from support_community.cases.views.context import acting_person
from support_community.extensions import db
from support_community.permissions import has_capability


def _back_url() -> str:
    target = request.form.get("back", "")
    # Only the queue itself, with its filters: never an address elsewhere.
    queue = url_for("agents.queue")
    if not (target == queue or target.startswith(queue + "?")) or "\\" in target:
        target = url_for("agents.queue")
    return target


def _back() -> Response:
    return redirect(_back_url())


def _change(form: BulkForm) -> bulk.BulkChange:
    """The change the form asks for; an unknown value is refused like a tampered selection."""
    chosen = form.bulk_assignee.data or ""
    assignee: object = bulk.UNCHANGED
    if chosen == "nobody":
        assignee = None
    elif chosen:
        assignee = assignment.find_agent(chosen)
        if assignee is None:
            raise assignment.NotAnAgentError()
    try:
        status = Status(form.bulk_status.data) if form.bulk_status.data else None
        severity = Severity(form.bulk_severity.data) if form.bulk_severity.data else None
    except ValueError:
        raise bulk.BulkChangeError(_("Choose what to change: an assignee, a status or a severity.")) from None
    user = current_user()
    if assignee != bulk.UNCHANGED and not has_capability(user, "agent.case.assign"):
        raise bulk.BulkChangeError(_("You may not assign cases."))
    if (status or severity) and not has_capability(user, "agent.case.status"):
        raise bulk.BulkChangeError(_("You may not change the status or severity of cases."))
    return bulk.BulkChange(assignee=assignee, status=status, severity=severity)  # type: ignore[arg-type]


@bp.post("/bulk")
@requires("agent.bulk")
def bulk_review() -> ResponseReturnValue:
    """The selected cases and the change, to confirm once (nothing is changed yet)."""
    form = BulkForm()
    form.set_choices(assignment.list_agents())
    try:
        ids = bulk.parse_ids(request.form.getlist("case"))
        change = _change(form)
        cases = bulk.selected(ids)
        bulk.check(cases, change)
    except (bulk.BulkChangeError, assignment.AssignmentError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    return render_template(
        "agents/bulk_confirm.html",
        form=form,
        cases=cases,
        change=change,
        unchanged=bulk.UNCHANGED,
        back=_back_url(),
    )


@bp.post("/bulk/apply")
@requires("agent.bulk")
def bulk_apply() -> ResponseReturnValue:
    agent = acting_person()
    form = BulkForm()
    form.set_choices(assignment.list_agents())
    try:
        ids = bulk.parse_ids(request.form.getlist("case"))
        result = bulk.apply(ids, _change(form), actor=agent)
    except (bulk.BulkChangeError, assignment.AssignmentError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    if result.changed:
        flash(
            ngettext(
                "%(count)s case was changed.", "%(count)s cases were changed.", result.changed, count=result.changed
            ),
            "success",
        )
    else:
        flash(_("Nothing was changed."), "success")
    return _back()
