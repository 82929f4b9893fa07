"""One case as an agent works it: the whole file, replies and notes, status, assignee, severity."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from shared.access import requires
from shared.database import utcnow
from shared.errors import report_error
from support_community.agents.due import WHAT, due_state, due_text
from support_community.agents.forms import (
    AssignForm,
    NoteForm,
    ReplyForm,
    SeverityForm,
    StatusForm,
)
from support_community.agents.presence import colleagues_text
from support_community.agents.views import bp
from support_community.auth.session import current_user
from support_community.cases.forms.attachments import uploads
from support_community.cases.labels import severity_label, status_label
from support_community.cases.models import Case, Person, Severity, Status
from support_community.cases.services import (
    assignment,
    attachments,
    canned,
    collisions,
    conversation,
    loading,
    satisfaction,
    sla,
    statuses,
)
from support_community.cases.services.errors import CaseError
from support_community.cases.services.severity import change_severity
from support_community.cases.views.context import acting_person
from support_community.cases.views.downloads import attachment_download
from support_community.extensions import db
from support_community.kb.views.linking import link_choices, with_link
from support_community.permissions import has_capability


# -- one case ----------------------------------------------------------------------------------
def case_or_404(case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    case = loading.find_any_case(case_id, for_update=for_update)
    if case is None:
        abort(404)
    return case


def _forms(case: Case, agents: list[Person], **given: Any) -> dict[str, Any]:
    allowed = statuses.allowed_next(case, by_agent=True)
    status_form = given.get("status_form") or StatusForm()
    status_form.set_choices(allowed)
    assign_form = given.get("assign_form") or AssignForm(data={"assignee": case.assignee_sub or ""})
    assign_form.set_choices(agents)
    severity_form = given.get("severity_form") or SeverityForm(data={"severity": case.severity.value})
    severity_form.set_choices()
    reply_form = given.get("reply_form") or ReplyForm(formdata=None)
    reply_form.set_choices(case.status, allowed)
    note_form = given.get("note_form") or NoteForm(formdata=None)
    note_form.set_choices(case.status, allowed)
    return {
        "status_form": status_form,
        "assign_form": assign_form,
        "severity_form": severity_form,
        "reply_form": reply_form,
        "note_form": note_form,
    }


def render_case(case: Case, agent: Person, status: int = 200, **given: Any) -> ResponseReturnValue:
    forms = _forms(case, assignment.list_agents(), **given)
    return render_template(
        "agents/case.html",
        file=conversation.case_file(case),
        me=agent,
        **forms,
        can_note=has_capability(current_user(), "agent.case.note"),
        dues=sla.due_times(case),
        canned_replies=[(reply, canned.render(reply, case, actor=agent)) for reply in canned.replies()],
        due_what=WHAT,
        due_text=due_text,
        due_state=due_state,
        colleagues_text=colleagues_text(collisions.others(case, actor=agent)),
        opened_at=utcnow().isoformat(),
        arrived=given.get("arrived", []),
        rating=satisfaction.rating_of(case),
        **link_choices(case, given.get("article_query", "")),
        allowed_types=_(
            "Allowed: %(types)s; at most %(max)s MB per file.",
            types=attachments.allowed_types_text(),
            max=current_app.config["ATTACHMENT_MAX_MB"],
        ),
    ), status


def _back_to(case: Case, anchor: str | None = None) -> Response:
    return redirect(url_for(".case_detail", case_id=case.id, _anchor=anchor))


@bp.get("/cases/<uuid:case_id>")
@requires("agent.case.view")
def case_detail(case_id: uuid.UUID) -> ResponseReturnValue:
    agent = acting_person()
    case = case_or_404(case_id)
    collisions.seen(case, actor=agent)
    response = render_case(case, agent, article_query=request.args.get("article_q", ""))
    db.session.commit()
    return response


@bp.post("/cases/<uuid:case_id>/presence")
@requires("agent.case.view")
def case_presence(case_id: uuid.UUID) -> ResponseReturnValue:
    """The case page says every little while that the agent has it open (``replying``: is writing a reply).

    Answers with the other agents on the case, for the page's notice.
    """
    agent = acting_person()
    case = case_or_404(case_id)
    if request.form.get("state") == "replying":
        collisions.replying(case, actor=agent)
    else:
        collisions.seen(case, actor=agent)
    colleagues = collisions.others(case, actor=agent)
    db.session.commit()
    return jsonify(
        {
            "others": [{"name": c.name, "replying": c.replying} for c in colleagues],
            "text": colleagues_text(colleagues),
        }
    )


def _opened_at(form: ReplyForm) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(form.opened_at.data or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _status_after(form: ReplyForm | NoteForm) -> Status | None:
    return Status(form.new_status.data) if form.new_status.data else None


def _add_message(case: Case, agent: Person, form: ReplyForm | NoteForm, *, internal: bool) -> ResponseReturnValue:
    """A reply or a note (with files, and the status to move to), or the case page again saying what was wrong."""
    form_name = "note_form" if isinstance(form, NoteForm) else "reply_form"
    form.set_choices(case.status, statuses.allowed_next(case, by_agent=True))
    if not form.validate_on_submit():
        return render_case(case, agent, 400, **{form_name: form})
    new_status = _status_after(form)
    if isinstance(form, ReplyForm) and not internal and not form.send_anyway.data:
        arrived = collisions.arrived_since(case, _opened_at(form), actor=agent)
        if arrived:
            # Shown again with what came in meanwhile; sending it now is a decision, not an accident.
            return render_case(case, agent, 409, reply_form=form, arrived=arrived)
    try:
        conversation.agent_reply(
            case,
            actor=agent,
            body=form.body.data,
            internal=internal,
            uploads=uploads(form.attachments),
            status=new_status,
        )
        collisions.done_replying(case, actor=agent)
    except (CaseError, statuses.StatusChangeError) as error:
        db.session.rollback()
        report_error(error, form)
        return render_case(case, agent, 400, **{form_name: form})
    db.session.commit()
    if internal:
        message = _("Your internal note is added.")
    else:
        message = _("Your reply is sent to the customer.")
    if new_status is not None:
        message += " " + _("The case is now “%(status)s”.", status=status_label(case.status))
    flash(message, "success")
    return _back_to(case, "conversation")


@bp.post("/cases/<uuid:case_id>/messages")
@requires("agent.case.reply")
def case_reply(case_id: uuid.UUID) -> ResponseReturnValue:
    """A reply to the customer. (A ticked ``internal`` still makes a note, as the single form of old pages did.)"""
    agent = acting_person()
    case = case_or_404(case_id, for_update=True)
    form = ReplyForm()
    internal = bool(form.internal.data)
    if internal and not has_capability(current_user(), "agent.case.note"):
        abort(403)
    return _add_message(case, agent, form, internal=internal)


@bp.post("/cases/<uuid:case_id>/notes")
@requires("agent.case.note")
def case_note(case_id: uuid.UUID) -> ResponseReturnValue:
    """An internal note: shown to agents only, never mailed to the customer."""
    agent = acting_person()
    case = case_or_404(case_id, for_update=True)
    return _add_message(case, agent, NoteForm(), internal=True)


@bp.post("/cases/<uuid:case_id>/article-link")
@requires("agent.case.reply")
def case_article_link(case_id: uuid.UUID) -> ResponseReturnValue:
    """The reply form again, with the chosen help article's address added at the end (without JavaScript)."""
    agent = acting_person()
    case = case_or_404(case_id)
    form = ReplyForm()
    status = 200
    body = with_link(form.body.data, request.form.get("article"), case)
    if body is None:
        flash(_("Choose a help article first."), "error")
        status = 400
    else:
        form.body.data = body
    response = render_case(case, agent, status, reply_form=form, article_query=request.form.get("article_q", ""))
    db.session.commit()
    return response


@bp.post("/cases/<uuid:case_id>/status")
@requires("agent.case.status")
def case_status(case_id: uuid.UUID) -> ResponseReturnValue:
    agent = acting_person()
    case = case_or_404(case_id, for_update=True)
    form = StatusForm()
    form.set_choices(statuses.allowed_next(case, by_agent=True))
    if not form.validate_on_submit():
        return render_case(case, agent, 400, status_form=form)
    try:
        statuses.change_status(
            case,
            Status(form.status.data),
            actor=agent,
            comment=form.comment.data,
            by_agent=True,
            internal=bool(form.comment_internal.data),
        )
    except statuses.StatusChangeError as error:
        db.session.rollback()
        report_error(error)
        return render_case(case, agent, 409)
    db.session.commit()
    flash(_("The case is now “%(status)s”.", status=status_label(case.status)), "success")
    return _back_to(case)


@bp.post("/cases/<uuid:case_id>/assignee")
@requires("agent.case.assign")
def case_assign(case_id: uuid.UUID) -> ResponseReturnValue:
    agent = acting_person()
    case = case_or_404(case_id, for_update=True)
    form = AssignForm()
    form.set_choices(assignment.list_agents())
    if not form.validate_on_submit():
        return render_case(case, agent, 400, assign_form=form)
    chosen = assignment.find_agent(form.assignee.data) if form.assignee.data else None
    try:
        changed = assignment.assign(case, chosen, actor=agent)
    except assignment.AssignmentError as error:
        db.session.rollback()
        report_error(error)
        return render_case(case, agent, 409)
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
def case_severity(case_id: uuid.UUID) -> ResponseReturnValue:
    agent = acting_person()
    case = case_or_404(case_id, for_update=True)
    form = SeverityForm()
    form.set_choices()
    if not form.validate_on_submit():
        return render_case(case, agent, 400, severity_form=form)
    changed = change_severity(case, Severity(form.severity.data), actor=agent)
    db.session.commit()
    if changed is None:
        flash(_("Nothing was changed."), "success")
    else:
        flash(_("The severity is now “%(severity)s”.", severity=severity_label(case.severity)), "success")
    return _back_to(case)


@bp.get("/cases/<uuid:case_id>/attachments/<uuid:attachment_id>")
@requires("agent.case.view")
def case_attachment(case_id: uuid.UUID, attachment_id: uuid.UUID) -> ResponseReturnValue:
    return attachment_download(case_or_404(case_id), attachment_id, internal_too=True)
