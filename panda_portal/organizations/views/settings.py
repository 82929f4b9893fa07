"""The organization's settings: whether it requires two-step verification of its members."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db
from panda_portal.mfa.services.two_step import is_on
from panda_portal.mfa.step_up import step_up_first
from panda_portal.organizations.forms.settings import SettingsForm
from panda_portal.organizations.permissions import current_organization
from panda_portal.organizations.services import two_step_requirement as service
from panda_portal.organizations.views import bp
from shared.access import requires
from shared.errors import report_error


@bp.route("/orgs/<org_id>/settings", methods=["GET", "POST"])
@requires("org.settings.manage")
def settings(org_id: str) -> ResponseReturnValue:
    organization = current_organization()
    account = signed_in_account()
    here = url_for(".settings", org_id=organization.id)
    form = SettingsForm(data={"requires_two_step": organization.requires_two_step})
    status = 200
    if request.method == "POST":
        if not form.validate():
            status = 400
        elif form.requires_two_step.data and not organization.requires_two_step and not is_on(account):
            # Whoever requires it sets it up first, and comes back here.
            flash(
                _("Set up two-step verification for your own account first: then you can require it of everyone."),
                "warning",
            )
            return redirect(url_for("mfa.set_up", next=here))
        else:
            asked = step_up_first(account, here)
            if asked is not None:
                return asked
            try:
                changed = service.set_requirement(organization, bool(form.requires_two_step.data), actor=account)
            except service.TwoStepNeededFirstError as error:
                db.session.rollback()
                report_error(error)
                return redirect(here)
            db.session.commit()
            if not changed:
                flash(_("Nothing was changed."), "success")
            elif organization.requires_two_step:
                flash(
                    _(
                        "Two-step verification is now required to work for %(organization)s.",
                        organization=organization.name,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "Two-step verification is no longer required to work for %(organization)s.",
                        organization=organization.name,
                    ),
                    "success",
                )
            return redirect(here)
    without = service.members_without_two_step(organization)
    return render_template(
        "organizations/settings.html",
        organization=organization,
        form=form,
        members_without=len(without),
        own_two_step=is_on(account),
    ), status
