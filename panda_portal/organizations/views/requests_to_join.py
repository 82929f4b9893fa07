"""The page "Requests to join": what waits for an administrator across their organizations."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db
from panda_portal.organizations.forms.requests_to_join import ApproveSeveralForm, RejectSeveralForm
from panda_portal.organizations.services import members as members_service
from panda_portal.organizations.services import requests_to_join as service
from panda_portal.organizations.views import bp
from shared.access import authenticated
from shared.errors import report_error


def _page_number() -> int:
    try:
        return min(max(int(request.args.get("page", "1")), 1), 10**6)
    except ValueError:
        return 1


@bp.get("/requests")
@authenticated
def requests_to_join() -> ResponseReturnValue:
    return _page(ApproveSeveralForm())


def _page(form: ApproveSeveralForm, status: int = 200) -> ResponseReturnValue:
    waiting = service.waiting_requests(signed_in_account(), _page_number())
    return render_template(
        "organizations/requests_to_join.html",
        waiting=waiting,
        form=form,
        applications=members_service.list_applications(),
    ), status


def _ticked(values: list | None) -> list[uuid.UUID]:
    ids = []
    for value in values or []:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return ids


@bp.post("/requests/approve")
@authenticated
def approve_several() -> ResponseReturnValue:
    form = ApproveSeveralForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    ids = _ticked(form.requests.data)
    if len(ids) != len(form.requests.data or []):
        report_error(service.RequestsNotYoursError(approving=True))
        return redirect(url_for(".requests_to_join"))
    if not ids:
        flash(_("Tick the requests to approve."), "warning")
        return redirect(url_for(".requests_to_join"))
    keys = [str(key) for key in form.applications.data or []]
    try:
        result = service.approve_several(ids, application_keys=keys, actor=signed_in_account())
    except (
        members_service.UnknownApplicationError,
        service.RequestsNotYoursError,
        service.TooManySelectedError,
    ) as error:
        db.session.rollback()
        report_error(error)
        return redirect(url_for(".requests_to_join"))
    db.session.commit()
    for decided in result.already_decided:
        report_error(decided)
    if len(result.decided) == 1 and not keys:
        # As for one request: the administrator lands on the member's detail screen to choose the access.
        membership = result.decided[0]
        flash(
            _(
                "%(name)s is now a member of %(organization)s and has been told by e-mail. To let them "
                "manage cases in the organization's name, tick “Support Community” below and confirm.",
                name=membership.account.name,
                organization=membership.organization.name,
            ),
            "success",
        )
        return redirect(
            url_for(".member_detail", org_id=membership.organization_id, membership_id=membership.id) + "#access"
        )
    if result.decided:
        flash(
            ngettext(
                "%(num)s request approved; the new member has been told by e-mail.",
                "%(num)s requests approved; the new members have been told by e-mail.",
                len(result.decided),
            ),
            "success",
        )
    return redirect(url_for(".requests_to_join"))


@bp.post("/requests/reject")
@authenticated
def reject_several() -> ResponseReturnValue:
    """The confirmation step: the ticked requests, and a message for the requesters."""
    form = RejectSeveralForm()
    if not form.validate_on_submit():
        return _page(ApproveSeveralForm(formdata=None), 400)
    ids = _ticked(form.requests.data)
    if len(ids) != len(form.requests.data or []):
        report_error(service.RequestsNotYoursError())
        return redirect(url_for(".requests_to_join"))
    if not ids:
        flash(_("Tick the requests to reject."), "warning")
        return redirect(url_for(".requests_to_join"))
    try:
        selected = service.selected_requests(ids, actor=signed_in_account())
    except (service.RequestsNotYoursError, service.TooManySelectedError) as error:
        report_error(error)
        return redirect(url_for(".requests_to_join"))
    for decided in selected.already_decided:
        report_error(decided)
    if not selected.entries:
        return redirect(url_for(".requests_to_join"))
    return _confirmation(RejectSeveralForm(formdata=None), selected)


def _confirmation(
    form: RejectSeveralForm, selected: service.SelectedRequests, status: int = 200
) -> ResponseReturnValue:
    return render_template("organizations/reject_several.html", form=form, selected=selected), status


@bp.post("/requests/reject/confirm")
@authenticated
def reject_several_confirmed() -> ResponseReturnValue:
    form = RejectSeveralForm()
    ids = _ticked(form.requests.data)
    if len(ids) != len(form.requests.data or []):
        report_error(service.RequestsNotYoursError())
        return redirect(url_for(".requests_to_join"))
    if not ids:
        flash(_("Tick the requests to reject."), "warning")
        return redirect(url_for(".requests_to_join"))
    actor = signed_in_account()
    try:
        if not form.validate_on_submit():
            # A message too long: the same confirmation again, with the field's error.
            return _confirmation(form, service.selected_requests(ids, actor=actor), 400)
        result = service.reject_several(ids, actor=actor, message=form.message.data)
    except (service.RequestsNotYoursError, service.TooManySelectedError) as error:
        db.session.rollback()
        report_error(error)
        return redirect(url_for(".requests_to_join"))
    db.session.commit()
    for decided in result.already_decided:
        report_error(decided)
    if result.decided:
        flash(
            ngettext(
                "%(num)s request rejected; the requester has been told by e-mail.",
                "%(num)s requests rejected; the requesters have been told by e-mail.",
                len(result.decided),
            ),
            "success",
        )
    return redirect(url_for(".requests_to_join"))
