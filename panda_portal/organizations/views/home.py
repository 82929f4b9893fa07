"""The home page, each organization's page and "Switch organization"."""

from __future__ import annotations

import uuid

from flask import current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.routing import BuildError

from panda_portal.accounts.session import current_account, signed_in_account
from panda_portal.extensions import db
from panda_portal.organizations.permissions import current_membership, current_organization
from panda_portal.organizations.services import joining as joining_service
from panda_portal.organizations.services import switching as service
from panda_portal.organizations.views import bp
from shared.access import authenticated, requires
from shared.i18n import current_language


@bp.before_app_request
def _forget_previous_request() -> None:
    # ``g`` lives as long as the application context, which several requests can share
    # (the test client reuses an outer one): the organization resolved from one
    # request's URL, and the menu read for it, must not carry over to the next.
    for name in ("org_context", "organization_switcher", "register_lookup_failed"):
        g.pop(name, None)


@bp.app_context_processor
def _switcher_context() -> dict:
    def organization_switcher() -> service.OrganizationList | None:
        """Read only when a page's menu is rendered, and once per request."""
        if "organization_switcher" not in g:
            account = current_account()
            g.organization_switcher = service.switcher_menu(account) if account else None
        return g.organization_switcher

    def current_organization_id() -> uuid.UUID | None:
        context = g.get("org_context")
        return context[0].id if context else None

    return {"organization_switcher": organization_switcher, "current_organization_id": current_organization_id}


@bp.get("/")
@authenticated
def home() -> ResponseReturnValue:
    overview = service.home_overview(signed_in_account())
    return render_template(
        "organizations/home.html", overview=overview, application_names=service.application_names(current_language())
    )


@bp.get("/orgs")
@authenticated
def organizations() -> ResponseReturnValue:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    result = service.search_organizations(signed_in_account(), request.args.get("q", ""), min(max(page, 1), 10**6))
    return render_template(
        "organizations/switch.html", result=result, application_names=service.application_names(current_language())
    )


@bp.get("/orgs/<org_id>/")
@requires("org.view")
def organization_home(org_id: str) -> ResponseReturnValue:
    organization, membership = current_organization(), current_membership()
    service.note_organization_used(membership)
    db.session.commit()
    requests = joining_service.pending_requests(organization) if membership.is_admin else []
    return render_template(
        "organizations/org_home.html",
        organization=organization,
        membership=membership,
        application_names=service.application_names(current_language()),
        requests=requests,
        members_url=_url_if_built("organizations.members", org_id=organization.id),
    )


def _url_if_built(endpoint: str, **values) -> str | None:
    """The members pages are optional to this page: link to them only where they exist."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
