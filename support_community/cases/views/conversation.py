"""A case's page and what customers do there: reply, add files, close, reopen, follow."""

from __future__ import annotations

import uuid

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from shared.access import requires
from shared.errors import report_error
from support_community.auth.session import signed_in_user
from support_community.cases.forms.attachments import uploads
from support_community.cases.forms.conversation import ActionForm, AttachForm, CloseForm, ReplyForm
from support_community.cases.models import Case
from support_community.cases.services import conversation, statuses
from support_community.cases.services.errors import CaseError
from support_community.cases.views import bp
from support_community.cases.views.context import acting_organization, acting_person, get_case_or_404, upload_limits
from support_community.extensions import db


def _detail_page(
    case: Case,
    *,
    reply_form: ReplyForm | None = None,
    attach_form: AttachForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template(
        "cases/detail.html",
        org=acting_organization(),
        case=case,
        timeline=conversation.public_timeline(case),
        following=conversation.is_following(case, signed_in_user().sub),
        can_reply=conversation.can_reply(case),
        can_close=statuses.customer_can_close(case),
        can_reopen=statuses.customer_can_reopen(case),
        reopen_days=current_app.config["CASE_REOPEN_DAYS"],
        reply_form=reply_form or ReplyForm(formdata=None),
        attach_form=attach_form or AttachForm(formdata=None),
        close_form=close_form or CloseForm(formdata=None),
        action_form=ActionForm(formdata=None),
        limits=upload_limits(),
    )
    return page, status


def _back_to(case: Case, anchor: str | None = None) -> Response:
    return redirect(url_for(".case_detail", org_id=case.organization_id, case_id=case.id, _anchor=anchor))


@bp.get("/orgs/<uuid:org_id>/cases/<uuid:case_id>")
@requires("case.view")
def case_detail(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    return _detail_page(get_case_or_404(org_id, case_id))


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/reply")
@requires("case.reply")
def reply(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    case = get_case_or_404(org_id, case_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _detail_page(case, reply_form=form, status=400)
    try:
        message = conversation.customer_reply(
            case, actor=acting_person(), body=form.body.data, uploads=uploads(form.attachments)
        )
        db.session.commit()
    except CaseError as error:
        db.session.rollback()
        report_error(error, form)
        return _detail_page(get_case_or_404(org_id, case_id), reply_form=form, status=400)
    flash(_("Your reply was added to case %(number)s.", number=case.number), "success")
    return _back_to(case, f"message-{message.id}")


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/attachments")
@requires("case.attach")
def attach(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    case = get_case_or_404(org_id, case_id)
    form = AttachForm()
    if not form.validate_on_submit():
        return _detail_page(case, attach_form=form, status=400)
    try:
        added = conversation.add_attachments(case, actor=acting_person(), uploads=uploads(form.attachments))
        db.session.commit()
    except CaseError as error:
        db.session.rollback()
        report_error(error, form)
        return _detail_page(get_case_or_404(org_id, case_id), attach_form=form, status=400)
    flash(
        ngettext(
            "%(num)s file was added to case %(number)s.",
            "%(num)s files were added to case %(number)s.",
            len(added),
            number=case.number,
        ),
        "success",
    )
    return _back_to(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/close")
@requires("case.close")
def close(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    case = get_case_or_404(org_id, case_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _detail_page(case, close_form=form, status=400)
    try:
        conversation.close(case, actor=acting_person(), comment=form.comment.data)
        db.session.commit()
    except (CaseError, statuses.StatusChangeError) as error:
        db.session.rollback()
        report_error(error)
        return _back_to(case)
    flash(_("Case %(number)s is closed.", number=case.number), "success")
    return _back_to(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/reopen")
@requires("case.reopen")
def reopen(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    case = get_case_or_404(org_id, case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        conversation.reopen(case, actor=acting_person())
        db.session.commit()
    except (CaseError, statuses.StatusChangeError) as error:
        db.session.rollback()
        report_error(error)
        return _back_to(case)
    flash(_("Case %(number)s is open again.", number=case.number), "success")
    return _back_to(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/follow")
@requires("case.follow")
def follow(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    case = get_case_or_404(org_id, case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    conversation.follow(case, actor=acting_person())
    db.session.commit()
    flash(_("You follow case %(number)s: you will get an e-mail when it changes.", number=case.number), "success")
    return _back_to(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/unfollow")
@requires("case.follow")
def unfollow(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    case = get_case_or_404(org_id, case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    conversation.unfollow(case, actor=acting_person())
    db.session.commit()
    flash(_("You no longer follow case %(number)s.", number=case.number), "success")
    return _back_to(case)
