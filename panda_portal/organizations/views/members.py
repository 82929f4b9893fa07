"""Members, their roles and application accesses, removal and hand-over."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db
from panda_portal.mfa.step_up import step_up_first
from panda_portal.organizations.forms.members import ActionForm, MemberForm, set_application_choices
from panda_portal.organizations.models import Membership, MembershipStatus, Role
from panda_portal.organizations.permissions import current_membership, current_organization, parse_uuid_or_404
from panda_portal.organizations.services import members as service
from panda_portal.organizations.services import two_step_requirement
from panda_portal.organizations.views import bp
from shared.access import requires
from shared.errors import report_error
from shared.i18n import current_language


def member_or_404(membership_id: str) -> Membership:
    """An active member of the URL's organization; anything else is not found."""
    membership = service.find_membership(current_organization(), parse_uuid_or_404(membership_id))
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        abort(404)
    return membership


@bp.get("/orgs/<org_id>/members")
@requires("org.members.view")
def members(org_id: str) -> ResponseReturnValue:
    overview = service.members_overview(current_organization())
    with_two_step = two_step_requirement.accounts_with_two_step([m.account_id for m in overview.members])
    two_step_filter = request.args.get("two_step", "")
    two_step_filter = two_step_filter if two_step_filter in ("on", "off") else ""
    shown = [
        m
        for m in overview.members
        if not two_step_filter or (m.account_id in with_two_step) == (two_step_filter == "on")
    ]
    return render_template(
        "organizations/members.html",
        organization=current_organization(),
        overview=overview,
        shown_members=shown,
        with_two_step=with_two_step,
        two_step_filter=two_step_filter,
        application_names={app.key: app.name(current_language()) for app in overview.applications},
        action_form=ActionForm(),
    )


@bp.route("/orgs/<org_id>/members/<membership_id>", methods=["GET", "POST"])
@requires("org.members.manage")
def member_detail(org_id: str, membership_id: str) -> ResponseReturnValue:
    membership = member_or_404(membership_id)
    applications = service.list_applications()
    form = MemberForm(data={"role": membership.role.value, "applications": sorted(membership.granted_keys)})
    set_application_choices(form.applications, applications, current_language())
    status = 200
    if form.validate_on_submit():
        # Handing administration over and granting application access ask for a recent second factor.
        asked = _step_up_for(membership, form.role.data, form.applications.data)
        if asked is not None:
            return asked
        try:
            if form.is_confirmation:
                changes = service.update_membership(
                    membership, role=form.role.data, application_keys=form.applications.data, actor=signed_in_account()
                )
                db.session.commit()
                if changes:
                    flash(_("The changes for %(name)s are saved.", name=membership.account.name), "success")
                else:
                    flash(_("Nothing was changed."), "success")
                return redirect(url_for(".member_detail", org_id=org_id, membership_id=membership.id))
            changes = service.preview_changes(membership, role=form.role.data, application_keys=form.applications.data)
        except service.MembershipError as error:
            db.session.rollback()
            report_error(error, form)
            status = 409
        else:
            if not changes:
                flash(_("Nothing was changed."), "success")
                return redirect(url_for(".member_detail", org_id=org_id, membership_id=membership.id))
            return render_template(
                "organizations/members_confirm.html",
                organization=current_organization(),
                membership=membership,
                changes=changes,
                form=form,
                language=current_language(),
            )
    elif form.is_submitted():
        status = 400
    return render_template(
        "organizations/member_detail.html",
        organization=current_organization(),
        membership=membership,
        form=form,
        applications=applications,
        language=current_language(),
        is_self=membership.id == current_membership().id,
        action_form=ActionForm(),
    ), status


@bp.route("/orgs/<org_id>/members/<membership_id>/remove", methods=["GET", "POST"])
@requires("org.members.manage")
def remove_member(org_id: str, membership_id: str) -> ResponseReturnValue:
    membership = member_or_404(membership_id)
    if membership.id == current_membership().id:
        return redirect(url_for(".leave", org_id=org_id))
    form = ActionForm()
    if form.validate_on_submit():
        try:
            service.remove_member(membership, actor=signed_in_account())
            db.session.commit()
        except service.MembershipError as error:
            db.session.rollback()
            report_error(error, form)
            return redirect(url_for(".member_detail", org_id=org_id, membership_id=membership_id))
        flash(
            _(
                "%(name)s is no longer a member of %(organization)s.",
                name=membership.account.name,
                organization=current_organization().name,
            ),
            "success",
        )
        return redirect(url_for(".members", org_id=org_id))
    return render_template(
        "organizations/members_remove.html",
        organization=current_organization(),
        membership=membership,
        form=form,
        last_administrator=_is_last_administrator(membership),
        open_invitations=_open_invitations(membership),
    ), 400 if form.is_submitted() else 200


@bp.route("/orgs/<org_id>/leave", methods=["GET", "POST"])
@requires("org.leave")
def leave(org_id: str) -> ResponseReturnValue:
    membership = current_membership()
    form = ActionForm()
    if form.validate_on_submit():
        try:
            service.leave_organization(membership, actor=signed_in_account())
            db.session.commit()
        except service.MembershipError as error:
            db.session.rollback()
            report_error(error, form)
            return redirect(url_for(".leave", org_id=org_id))
        flash(_("You left %(organization)s.", organization=current_organization().name), "success")
        return redirect(url_for(".home"))
    return render_template(
        "organizations/members_leave.html",
        organization=current_organization(),
        membership=membership,
        form=form,
        step_down=False,
        last_administrator=_is_last_administrator(membership),
        open_invitations=_open_invitations(membership),
    ), 400 if form.is_submitted() else 200


@bp.route("/orgs/<org_id>/step-down", methods=["GET", "POST"])
@requires("org.members.manage")
def step_down(org_id: str) -> ResponseReturnValue:
    membership = current_membership()
    asked = step_up_first(signed_in_account(), url_for(".step_down", org_id=org_id))
    if asked is not None:
        return asked
    form = ActionForm()
    if form.validate_on_submit():
        try:
            service.step_down(membership, actor=signed_in_account())
            db.session.commit()
        except service.MembershipError as error:
            db.session.rollback()
            report_error(error, form)
            return redirect(url_for(".step_down", org_id=org_id))
        flash(
            _(
                "You are now a member of %(organization)s, no longer an administrator.",
                organization=current_organization().name,
            ),
            "success",
        )
        return redirect(url_for(".organization_home", org_id=org_id))
    return render_template(
        "organizations/members_leave.html",
        organization=current_organization(),
        membership=membership,
        form=form,
        step_down=True,
        last_administrator=_is_last_administrator(membership),
        open_invitations=_open_invitations(membership),
    ), 400 if form.is_submitted() else 200


def _step_up_for(membership: Membership, role: str, application_keys: list[str]) -> ResponseReturnValue | None:
    """The step-up page, when the change makes an administrator or grants an application access."""
    promotes = role == Role.ADMIN.value and membership.role != Role.ADMIN
    grants = bool(set(application_keys or []) - membership.granted_keys)
    if not (promotes or grants):
        return None
    return step_up_first(
        signed_in_account(),
        url_for(".member_detail", org_id=membership.organization_id, membership_id=membership.id),
    )


def _open_invitations(membership: Membership) -> int:
    """The invitations withdrawn with ``membership`` when an administrator goes (0 for a member)."""
    return service.invitations_sent_by(membership) if membership.role == Role.ADMIN else 0


def _is_last_administrator(membership: Membership) -> bool:
    return membership.role == Role.ADMIN and service.active_administrator_count(membership.organization_id) <= 1
