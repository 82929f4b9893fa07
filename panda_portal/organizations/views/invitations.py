"""Inviting people by e-mail, and the page where an invitee accepts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from panda_portal.accounts.session import current_account, signed_in_account
from panda_portal.extensions import db
from panda_portal.mfa.step_up import step_up_first
from panda_portal.organizations.forms.members import ActionForm, InviteForm, set_application_choices
from panda_portal.organizations.models import Invitation
from panda_portal.organizations.permissions import current_organization, parse_uuid_or_404
from panda_portal.organizations.services import invitations as service
from panda_portal.organizations.services.members import list_applications
from panda_portal.organizations.views import bp
from shared.access import public, requires
from shared.errors import DomainError, report_error
from shared.i18n import LANGUAGES, current_language


def invitation_or_404(invitation_id: str) -> Invitation:
    invitation = service.find_invitation(current_organization(), parse_uuid_or_404(invitation_id))
    if invitation is None:
        abort(404)
    return invitation


@bp.route("/orgs/<org_id>/invitations/new", methods=["GET", "POST"])
@requires("org.invitations.manage")
def invite(org_id: str) -> ResponseReturnValue:
    applications = list_applications()
    admin_language = signed_in_account().language
    form = InviteForm(
        data={
            "role": request.args.get("role", "member"),
            # "Invite again" on the members page, for an invitation withdrawn with its sender.
            "email": (request.args.get("email") or "")[:254],
            "language": admin_language if admin_language in LANGUAGES else "en",
        }
    )
    set_application_choices(form.applications, applications, current_language())
    status = 200
    # Inviting an administrator hands administration over, inviting with an access grants it:
    # both ask for a recent second factor (on opening "Invite an administrator", or on sending).
    hands_over = (form.role.data if form.is_submitted() else request.args.get("role")) == "admin"
    if hands_over or (form.is_submitted() and form.applications.data):
        again = url_for(
            ".invite", org_id=org_id, role=form.role.data or None, email=(form.email.data or "")[:254] or None
        )
        asked = step_up_first(signed_in_account(), again)
        if asked is not None:
            return asked
    if form.validate_on_submit():
        try:
            invitation = service.invite(
                current_organization(),
                email=form.email.data,
                role=form.role.data,
                application_keys=form.applications.data,
                language=form.language.data,
                actor=signed_in_account(),
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            report_error(error, form)
            status = 409
        else:
            flash(_("The invitation was sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for(".members", org_id=org_id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "organizations/invitation_new.html",
        organization=current_organization(),
        form=form,
        applications=applications,
        language=current_language(),
    ), status


@bp.post("/orgs/<org_id>/invitations/<invitation_id>/revoke")
@requires("org.invitations.manage")
def revoke_invitation(org_id: str, invitation_id: str) -> ResponseReturnValue:
    invitation = invitation_or_404(invitation_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.revoke_invitation(invitation, actor=signed_in_account())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        report_error(error, form)
    else:
        flash(
            _("The invitation to %(email)s was withdrawn; its link no longer works.", email=invitation.email), "success"
        )
    return redirect(url_for(".members", org_id=org_id))


@bp.post("/orgs/<org_id>/invitations/<invitation_id>/resend")
@requires("org.invitations.manage")
def resend_invitation(org_id: str, invitation_id: str) -> ResponseReturnValue:
    invitation = invitation_or_404(invitation_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.resend_invitation(invitation, actor=signed_in_account())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        report_error(error, form)
    else:
        flash(
            _("A new invitation was sent to %(email)s; the previous link no longer works.", email=invitation.email),
            "success",
        )
    return redirect(url_for(".members", org_id=org_id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def invitation(token: str) -> ResponseReturnValue:
    invitation = service.invitation_for_token(token)
    if invitation is None:
        return render_template(
            "organizations/invitation_closed.html",
            invitation=None,
            message=_(
                "This invitation link is not valid. Check that you copied the "
                "whole link from the mail, or ask for a new invitation."
            ),
        ), 404
    status = service.current_status(invitation)
    if status != service.OPEN:
        return render_template(
            "organizations/invitation_closed.html",
            invitation=invitation,
            message=service.InvitationClosedError(status).message,
        ), 410
    account = current_account()
    here = url_for(".invitation", token=token)
    form = ActionForm()
    if request.method == "POST":
        if account is None:
            return redirect(url_for("accounts.sign_in", next=here))
        if not form.validate_on_submit():
            abort(400)
        try:
            membership = service.accept_invitation(invitation, actor=account)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            report_error(error, form)
            return redirect(here)
        flash(_("Welcome to %(organization)s.", organization=invitation.organization.name), "success")
        return redirect(url_for(".organization_home", org_id=membership.organization_id))
    problem = None
    if account is not None:
        try:
            service.check_acceptance(invitation, account)
        except DomainError as error:
            problem = error
    return render_template(
        "organizations/invitation.html",
        invitation=invitation,
        account=account,
        form=form,
        problem=problem,
        wrong_account=isinstance(problem, service.WrongAccountError),
        applications=[app for app in list_applications() if app.key in (invitation.application_keys or [])],
        language=current_language(),
        here=here,
        sign_in_url=url_for("accounts.sign_in", next=here),
        register_url=url_for("accounts.register", next=here, email=invitation.email),
    )
