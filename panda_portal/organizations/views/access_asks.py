"""``/ask-for-access?application=…``: a member asks the administrators for an application's access.

The Support Community links here for people without its access: the page lists the
person's organizations that lack it (searchable, 100 at most per page).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext

from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db, limiter
from panda_portal.organizations.forms.access_asks import AskForAccessForm
from panda_portal.organizations.models import Application
from panda_portal.organizations.permissions import active_membership, parse_uuid_or_404
from panda_portal.organizations.services import access_asks as service
from panda_portal.organizations.services import switching
from panda_portal.organizations.views import bp
from shared.access import authenticated
from shared.errors import report_error
from shared.i18n import current_language

PER_PAGE = 50
ASK_LIMIT = "10 per hour"


def _account_key() -> str:
    return f"account:{session.get('account_id') or request.remote_addr}"


def _application_or_404() -> Application:
    key = request.args.get("application", "")[:64]
    application = db.session.get(Application, key) if key else None
    if application is None:
        abort(404)
    return application


@bp.route("/ask-for-access", methods=["GET", "POST"])
@authenticated
@limiter.limit(ASK_LIMIT, key_func=_account_key, methods=["POST"], scope="ask-for-access")
def ask_for_access() -> ResponseReturnValue:
    application = _application_or_404()
    account = signed_in_account()
    form = AskForAccessForm()
    status = 200
    if form.validate_on_submit():
        membership = active_membership(account, parse_uuid_or_404(form.organization.data))
        if membership is None:
            abort(404)
        try:
            administrators = service.ask_for_access(membership, application, actor=account)
        except service.AccessAskError as error:
            report_error(error)
            return redirect(url_for(".organization_home", org_id=membership.organization_id))
        db.session.commit()
        flash(
            ngettext(
                "Your request for access to %(application)s has been sent to the administrator of %(organization)s.",
                "Your request for access to %(application)s has been sent to the %(num)s administrators of "
                "%(organization)s.",
                len(administrators),
                application=application.name(current_language()),
                organization=membership.organization.name,
            ),
            "success",
        )
        return redirect(url_for(".organization_home", org_id=membership.organization_id))
    if form.is_submitted():
        status = 422
    try:
        page = min(max(int(request.args.get("page", "1")), 1), 10**6)
    except ValueError:
        page = 1
    lacking = switching.search_organizations(
        account,
        request.args.get("q", ""),
        page,
        PER_PAGE,
        without_application=application.key,
        with_application_keys=False,
    )
    if not form.is_submitted() and request.args.get("org"):
        form.organization.data = request.args.get("org", "")[:64]
    return render_template(
        "organizations/ask_for_access.html",
        application=application,
        application_name=application.name(current_language()),
        lacking=lacking,
        form=form,
    ), status
