"""The start pages: the community's, an organization's, and choosing the organization of a new case."""

from __future__ import annotations

import uuid

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shared.access import authenticated, public, requires
from support_community.auth import organizations
from support_community.auth.session import signed_in_user
from support_community.auth.views import page_number, picker_context
from support_community.cases.services import listing
from support_community.cases.views import bp
from support_community.cases.views.context import acting_organization
from support_community.extensions import db


@bp.get("/")
@public
def home() -> ResponseReturnValue:
    return render_template("cases/home.html")


@bp.get("/orgs/<uuid:org_id>/")
@requires("org.view")
def org_home(org_id: uuid.UUID) -> ResponseReturnValue:
    """The organization's start page: whom the person is acting for, and its latest cases."""
    sub = signed_in_user().sub
    page = listing.organization_cases(org_id, listing.CaseFilters(status="open"), viewer_sub=sub)
    organizations.remember_use(sub, org_id)
    db.session.commit()
    return render_template("cases/org_home.html", org=acting_organization(), page=page)


@bp.get("/cases/new")
@authenticated
def choose_organization() -> ResponseReturnValue:
    """A new case always belongs to an organization: choose it first (favourites and recent ones on top)."""
    user = signed_in_user()
    query = organizations.normalized_query(request.args.get("q"))
    page = page_number(request.args.get("page"))
    if not query and page == 1:
        only = organizations.only_one(user.sub)
        if only is not None:
            return redirect(url_for(".new_case", org_id=only.id))
    return render_template("cases/choose_organization.html", **picker_context(user, query, page))
