"""The profile's personal access tokens, and an organization's rule about them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db
from panda_portal.mfa.step_up import step_up_first
from panda_portal.organizations.permissions import current_organization, parse_uuid_or_404
from panda_portal.personal_tokens import services
from panda_portal.personal_tokens.forms import ActionForm, NewTokenForm, PolicyForm, scope_labels
from shared.access import authenticated, requires
from shared.errors import DomainError, report_error

bp = Blueprint("personal_tokens", __name__)


def _tokens_page(form: NewTokenForm, status: int = 200, created: tuple | None = None) -> ResponseReturnValue:
    account = signed_in_account()
    response = render_template(
        "personal_tokens/tokens.html",
        form=form,
        action_form=ActionForm(),
        tokens=services.list_tokens(account),
        created=created,
        scope_labels=scope_labels(),
        max_days=services.MAX_DAYS,
    )
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/account/tokens", methods=["GET", "POST"])
@authenticated
def tokens() -> ResponseReturnValue:
    account = signed_in_account()
    form = NewTokenForm()
    if request.method == "GET":
        return _tokens_page(form)
    # Making a token hands out the account's power: a recent second factor, for those who have one.
    asked = step_up_first(account, url_for(".tokens"))
    if asked is not None:
        return asked
    if not form.validate_on_submit():
        return _tokens_page(form, 400)
    try:
        row, value = services.create_token(
            account, name=form.name.data, scopes=list(form.scopes.data or []), days=form.days.data, actor=account
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        report_error(error, form)
        return _tokens_page(form, 409)
    # Shown in this answer only: it is stored hashed and cannot be shown again.
    return _tokens_page(NewTokenForm(formdata=None), 201, created=(row, value))


@bp.post("/account/tokens/<token_id>/revoke")
@authenticated
def revoke(token_id: str) -> ResponseReturnValue:
    account = signed_in_account()
    if not ActionForm().validate_on_submit():
        abort(400)
    row = services.find_own_token(account, parse_uuid_or_404(token_id))
    if row is None:
        abort(404)
    if services.revoke_token(row, actor=account):
        db.session.commit()
        flash(_("The token %(name)s is revoked.", name=row.name), "success")
    return redirect(url_for(".tokens"))


@bp.route("/orgs/<org_id>/settings/personal-tokens", methods=["GET", "POST"])
@requires("org.personal_tokens.manage")
def organization_policy(org_id: str) -> ResponseReturnValue:
    organization = current_organization()
    form = PolicyForm(data={"forbid": services.forbids_personal_tokens(organization)})
    status = 200
    if request.method == "POST":
        form = PolicyForm()
        if not form.validate_on_submit():
            abort(400)
        forbid = bool(form.forbid.data)
        if services.set_personal_tokens_forbidden(organization, forbid=forbid, actor=signed_in_account()):
            db.session.commit()
        if forbid:
            flash(_("Personal access tokens are now refused for this organization."), "success")
        else:
            flash(_("Personal access tokens are now allowed for this organization."), "success")
        return redirect(url_for(".organization_policy", org_id=org_id))
    return render_template("personal_tokens/organization_policy.html", organization=organization, form=form), status
