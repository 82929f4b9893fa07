"""Canned replies: the team's library (list, write, edit, delete) and inserting one into a case's reply."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from shared.access import requires
from shared.errors import report_error
from support_community.agents.forms import CannedReplyForm, ReplyForm
from support_community.agents.views import bp
from support_community.agents.views.case import case_or_404, render_case
from support_community.cases.services import canned, statuses
from support_community.cases.views.context import acting_person
from support_community.extensions import db


def _reply_or_404(reply_id: uuid.UUID) -> canned.CannedReply:
    reply = canned.find(reply_id)
    if reply is None:
        abort(404)
    return reply


def _editor(form: CannedReplyForm, reply: canned.CannedReply | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "agents/canned_edit.html",
        form=form,
        reply=reply,
        placeholders=["{" + name + "}" for name in canned.PLACEHOLDERS],
    ), status


@bp.get("/canned")
@requires("agent.canned")
def canned_list() -> ResponseReturnValue:
    replies = canned.replies()
    db.session.commit()
    return render_template("agents/canned_list.html", replies=replies)


@bp.route("/canned/new", methods=["GET", "POST"])
@requires("agent.canned")
def canned_new() -> ResponseReturnValue:
    agent = acting_person()
    form = CannedReplyForm()
    form.set_choices()
    if request.method == "GET":
        db.session.commit()
        return _editor(form)
    if not form.validate_on_submit():
        return _editor(form, status=400)
    try:
        reply = canned.create(actor=agent, title=form.title.data, bodies=form.bodies, set_status=form.set_status.data)
    except canned.CannedReplyError as error:
        db.session.rollback()
        report_error(error, form)
        return _editor(form, status=400)
    db.session.commit()
    flash(_("The canned reply “%(title)s” is saved.", title=reply.title), "success")
    return redirect(url_for(".canned_list"))


@bp.route("/canned/<uuid:reply_id>", methods=["GET", "POST"])
@requires("agent.canned")
def canned_edit(reply_id: uuid.UUID) -> ResponseReturnValue:
    agent = acting_person()
    reply = _reply_or_404(reply_id)
    if request.method == "GET":
        form = CannedReplyForm(obj=reply, data={"set_status": reply.set_status or ""})
        form.set_choices()
        db.session.commit()
        return _editor(form, reply)
    form = CannedReplyForm()
    form.set_choices()
    if not form.validate_on_submit():
        return _editor(form, reply, 400)
    try:
        canned.update(reply, actor=agent, title=form.title.data, bodies=form.bodies, set_status=form.set_status.data)
    except canned.CannedReplyError as error:
        db.session.rollback()
        report_error(error, form)
        return _editor(form, reply, 400)
    db.session.commit()
    flash(_("The canned reply “%(title)s” is saved.", title=reply.title), "success")
    return redirect(url_for(".canned_list"))


@bp.post("/canned/<uuid:reply_id>/delete")
@requires("agent.canned")
def canned_delete(reply_id: uuid.UUID) -> ResponseReturnValue:
    agent = acting_person()
    reply = _reply_or_404(reply_id)
    title = reply.title
    canned.delete(reply, actor=agent)
    db.session.commit()
    flash(_("The canned reply “%(title)s” is deleted.", title=title), "success")
    return redirect(url_for(".canned_list"))


@bp.post("/cases/<uuid:case_id>/canned")
@requires("agent.case.reply")
def case_insert_canned(case_id: uuid.UUID) -> ResponseReturnValue:
    """The reply form again, with the chosen canned reply added and its status chosen (without JavaScript)."""
    agent = acting_person()
    case = case_or_404(case_id)
    form = ReplyForm()
    reply = canned.find(request.form.get("canned"))
    status = 200
    if reply is None:
        flash(_("Choose a canned reply first."), "error")
        status = 400
    else:
        inserted = canned.render(reply, case, actor=agent)
        form.body.data = canned.insert_into(form.body.data, inserted.body)
        if inserted.status is not None and inserted.status in statuses.allowed_next(case, by_agent=True):
            form.new_status.data = inserted.status.value
    response = render_case(case, agent, status, reply_form=form)
    db.session.commit()
    return response
