"""The start pages: the community's, an organization's, and choosing the organization of a new case."""

from __future__ import annotations

import uuid

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shared.access import authenticated, public, requires
from support_community.auth.session import signed_in_user
from support_community.cases.services import listing
from support_community.cases.views import bp
from support_community.cases.views.context import acting_organization


@bp.get("/")
@public
def home() -> ResponseReturnValue:
    return render_template("cases/home.html")


@bp.get("/orgs/<uuid:org_id>/")
@requires("org.view")
def org_home(org_id: uuid.UUID) -> ResponseReturnValue:
    """The organization's start page: whom the person is acting for, and its latest cases."""
    page = listing.organization_cases(org_id, listing.CaseFilters(status="open"), viewer_sub=signed_in_user().sub)
    return render_template("cases/org_home.html", org=acting_organization(), page=page)


@bp.get("/cases/new")
@authenticated
def choose_organization() -> ResponseReturnValue:
    """A new case always belongs to an organization: choose it first."""
    user = signed_in_user()
    query = (request.args.get("q") or "").strip()[:100]
    if len(user.orgs) == 1 and not query:
        return redirect(url_for(".new_case", org_id=user.orgs[0].id))
    orgs = [org for org in user.orgs if org.matches(query)]
    return render_template("cases/choose_organization.html", orgs=orgs, query=query, total=len(user.orgs))
