"""The agent workspace: the queue across every organization and a case's whole file.

Routes carry no organization: agents work for every client, and the token's
``roles`` (``support_agent``) give them the ``agent.*`` capabilities. Anyone else
gets 403.
"""
from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from shared.access import requires
from support_community.agents import services
from support_community.agents.forms import AssignForm, QueueFilterForm, ReplyForm, SeverityForm, StatusForm
from support_community.auth.session import current_user
from support_community.cases.labels import (SEVERITY_ORDER, STATUS_ORDER, author_label, severity_label,
                                            status_label)
from support_community.cases.models import Case, Person, Severity, Status
from support_community.cases.rendering import render_text
from support_community.cases.services import assignment, attachments, catalog, statuses
from support_community.cases.services.errors import CaseError
from support_community.cases.services.people import person_for
from support_community.extensions import db
from support_community.permissions import has_capability

bp = Blueprint("agents", __name__, url_prefix="/agent")


def acting_agent() -> Person:
    return person_for(current_user())


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


# -- the queue -------------------------------------------------------------------------------
def _filter_form(filters: services.QueueFilters, agents: list[Person], products: list,
                 language: str) -> QueueFilterForm:
    form = QueueFilterForm(data=filters.as_dict())
    form.status.choices = [("open", _("Open cases")), ("all", _("All cases"))] + [
        (status.value, status_label(status)) for status in STATUS_ORDER]
    form.severity.choices = [("", _("Any severity"))] + [
        (severity.value, severity_label(severity)) for severity in SEVERITY_ORDER]
    form.product.choices = [("", _("Any product"))] + [(p.key, p.name(language)) for p in products]
    form.assignee.choices = [("me", _("Me")), ("unassigned", _("Nobody (unassigned)")), ("any", _("Anyone"))] + [
        (agent.sub, agent.name) for agent in agents]
    form.sort.choices = [("activity", _("Last activity")), ("severity", _("Severity"))]
    return form


@bp.get("")
@requires("agent.queue")
def queue():
    """The queue opens on the agent's last choice (at first: "my open cases")."""
    agent = acting_agent()
    filters = services.choose_filters(agent, request.args)
    result = services.queue(filters, agent=agent, page=_page_number())
    agents = assignment.list_agents()
    products = catalog.products(include_inactive=True)
    db.session.commit()
    language = catalog.current_language()
    return render_template(
        "agents/queue.html", result=result, filters=filters,
        form=_filter_form(filters, agents, products, language),
        status_order=STATUS_ORDER, status_label=status_label, severity_label=severity_label,
        product_names={p.key: p.name(language) for p in products},
        me=agent,
        page_url=lambda **changes: url_for(".queue", **{name: value for name, value in
                                                        (filters.as_dict() | changes).items() if value}),
    )


# -- one case ----------------------------------------------------------------------------------
def _case_or_404(case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    case = services.find_case(case_id, for_update=for_update)
    if case is None:
        abort(404)
    return case


def _forms(case: Case, agents: list[Person], **given: Any) -> dict[str, Any]:
    status_form = given.get("status_form") or StatusForm()
    status_form.status.choices = [(s.value, status_label(s)) for s in statuses.allowed_next(case, by_agent=True)]
    assign_form = given.get("assign_form") or AssignForm(data={"assignee": case.assignee_sub or ""})
    assign_form.assignee.choices = [("", _("Nobody (unassigned)"))] + [(a.sub, a.name) for a in agents]
    severity_form = given.get("severity_form") or SeverityForm(data={"severity": case.severity.value})
    severity_form.severity.choices = [(s.value, severity_label(s)) for s in SEVERITY_ORDER]
    reply_form = given.get("reply_form") or ReplyForm()
    return {"status_form": status_form, "assign_form": assign_form, "severity_form": severity_form,
            "reply_form": reply_form}


def _render_case(case: Case, agent: Person, status: int = 200, **given: Any):
    agents = assignment.list_agents()
    forms = _forms(case, agents, **given)
    return render_template(
        "agents/case.html", file=services.case_file(case), me=agent, **forms,
        status_label=status_label, severity_label=severity_label, author_label=author_label,
        render_text=render_text, language=catalog.current_language(),
        can_note=has_capability(current_user(), "agent.case.note"),
        allowed_types=_("Allowed: %(types)s; at most %(max)s MB per file.",
                        types=attachments.allowed_types_text(), max=current_app.config["ATTACHMENT_MAX_MB"]),
    ), status


def _back_to(case: Case, anchor: str | None = None):
    return redirect(url_for(".case_detail", case_id=case.id, _anchor=anchor))


@bp.get("/cases/<uuid:case_id>")
@requires("agent.case.view")
def case_detail(case_id: uuid.UUID):
    agent = acting_agent()
    case = _case_or_404(case_id)
    response = _render_case(case, agent)
    db.session.commit()
    return response


@bp.post("/cases/<uuid:case_id>/messages")
@requires("agent.case.reply")
def case_reply(case_id: uuid.UUID):
    agent = acting_agent()
    case = _case_or_404(case_id, for_update=True)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_case(case, agent, 400, reply_form=form)
    internal = bool(form.internal.data)
    if internal and not has_capability(current_user(), "agent.case.note"):
        abort(403)
    uploads = [attachments.Upload(filename=f.filename or "", stream=f.stream)
               for f in request.files.getlist("attachments") if f and f.filename]
    try:
        services.reply(case, form.body.data, actor=agent, internal=internal, uploads=uploads)
    except CaseError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_case(case, agent, 400, reply_form=form)
    db.session.commit()
    flash(_("Your internal note is added.") if internal else _("Your reply is sent to the customer."), "success")
    return _back_to(case, "conversation")


@bp.post("/cases/<uuid:case_id>/status")
@requires("agent.case.status")
def case_status(case_id: uuid.UUID):
    agent = acting_agent()
    case = _case_or_404(case_id, for_update=True)
    form = StatusForm()
    form.status.choices = [(s.value, status_label(s)) for s in statuses.allowed_next(case, by_agent=True)]
    if not form.validate_on_submit():
        return _render_case(case, agent, 400, status_form=form)
    try:
        statuses.change_status(case, Status(form.status.data), actor=agent, comment=form.comment.data,
                               by_agent=True, internal=bool(form.comment_internal.data))
    except statuses.StatusChangeError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_case(case, agent, 409)
    db.session.commit()
    flash(_("The case is now “%(status)s”.", status=status_label(case.status)), "success")
    return _back_to(case)


@bp.post("/cases/<uuid:case_id>/assignee")
@requires("agent.case.assign")
def case_assign(case_id: uuid.UUID):
    agent = acting_agent()
    case = _case_or_404(case_id, for_update=True)
    agents = assignment.list_agents()
    form = AssignForm()
    form.assignee.choices = [("", _("Nobody (unassigned)"))] + [(a.sub, a.name) for a in agents]
    if not form.validate_on_submit():
        return _render_case(case, agent, 400, assign_form=form)
    chosen = assignment.find_agent(form.assignee.data) if form.assignee.data else None
    try:
        changed = assignment.assign(case, chosen, actor=agent)
    except assignment.AssignmentError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_case(case, agent, 409)
    db.session.commit()
    if changed is None:
        flash(_("Nothing was changed."), "success")
    elif chosen is None:
        flash(_("The case is no longer assigned."), "success")
    elif chosen.sub == agent.sub:
        flash(_("The case is assigned to you."), "success")
    else:
        flash(_("The case is assigned to %(name)s.", name=chosen.name), "success")
    return _back_to(case)


@bp.post("/cases/<uuid:case_id>/severity")
@requires("agent.case.status")
def case_severity(case_id: uuid.UUID):
    agent = acting_agent()
    case = _case_or_404(case_id, for_update=True)
    form = SeverityForm()
    form.severity.choices = [(s.value, severity_label(s)) for s in SEVERITY_ORDER]
    if not form.validate_on_submit():
        return _render_case(case, agent, 400, severity_form=form)
    changed = services.change_severity(case, Severity(form.severity.data), actor=agent)
    db.session.commit()
    if changed is None:
        flash(_("Nothing was changed."), "success")
    else:
        flash(_("The severity is now “%(severity)s”.", severity=severity_label(case.severity)), "success")
    return _back_to(case)


@bp.get("/cases/<uuid:case_id>/attachments/<uuid:attachment_id>")
@requires("agent.case.view")
def case_attachment(case_id: uuid.UUID, attachment_id: uuid.UUID):
    case = _case_or_404(case_id)
    attachment = services.find_attachment(case, attachment_id)
    if attachment is None:
        abort(404)
    try:
        stream = attachments.open_content(attachment)
    except FileNotFoundError:
        abort(404)
    response = send_file(stream, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
