"""The lists of cases: an organization's, and the open cases of all the person's clients."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shared.access import authenticated, requires
from shared.i18n import current_language
from support_community.auth.session import OrganizationClaim, signed_in_user
from support_community.cases.forms.listing import all_clients_choices, case_filters, organization_list_choices
from support_community.cases.services import catalog, listing
from support_community.cases.views import bp
from support_community.cases.views.context import acting_organization


def _list_url(filters: listing.CaseFilters, endpoint: str, **changes: Any) -> str:
    """The list's URL with ``filters`` changed by ``changes`` (empty values dropped)."""
    values: dict[str, Any] = {
        "status": filters.status,
        "severity": filters.severity,
        "product": filters.product,
        "opener": filters.opener,
        "q": filters.q,
        "sort": filters.sort,
        "direction": filters.direction,
        "page": filters.page,
        "org": filters.organization,
    }
    values.update(changes)
    defaults = {"sort": "activity", "direction": "desc", "page": 1}
    arguments = {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}
    return url_for(endpoint, **{**(request.view_args or {}), **arguments})


@bp.get("/orgs/<uuid:org_id>/cases")
@requires("case.view")
def case_list(org_id: uuid.UUID) -> ResponseReturnValue:
    user = signed_in_user()
    filters = case_filters(request.args)
    page = listing.organization_cases(org_id, filters, viewer_sub=user.sub)
    choices = organization_list_choices(
        catalog.products(include_inactive=True),
        listing.openers(org_id),
        viewer_sub=user.sub,
        language=current_language(),
    )
    return render_template(
        "cases/list.html",
        org=acting_organization(),
        page=page,
        filters=filters,
        choices=choices,
        list_url=lambda **changes: _list_url(filters, "cases.case_list", **changes),
    )


def _organizations_matching(orgs: tuple[OrganizationClaim, ...], wanted: str) -> list[OrganizationClaim]:
    if not wanted:
        return list(orgs)
    exact = next((org for org in orgs if str(org.id).lower() == wanted.lower()), None)
    return [exact] if exact else [org for org in orgs if org.matches(wanted)]


@bp.get("/cases")
@authenticated
def all_clients() -> ResponseReturnValue:
    """The open cases of every organization in the token, in one list."""
    user = signed_in_user()
    filters = case_filters(request.args, across=True)
    chosen = _organizations_matching(user.orgs, filters.organization)
    page = listing.open_cases_across([org.id for org in chosen], filters)
    by_id = {str(org.id).lower(): org for org in user.orgs}
    # Beyond this many organizations a text field finds one faster than a select.
    organization_select = len(user.orgs) <= current_app.config["ORGANIZATION_SELECT_LIMIT"]
    return render_template(
        "cases/all_clients.html",
        page=page,
        filters=filters,
        orgs=user.orgs,
        organizations=by_id,
        choices=all_clients_choices(user.orgs if organization_select else ()),
        organization_select=organization_select,
        list_url=lambda **changes: _list_url(filters, "cases.all_clients", **changes),
    )
