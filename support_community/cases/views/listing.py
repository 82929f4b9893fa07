"""The lists of cases: an organization's, and "All my clients" (every organization of the person), and their CSV."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from flask import Response, current_app, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _

from shared.access import authenticated, requires
from shared.i18n import current_language
from support_community.auth import organizations
from support_community.auth.session import signed_in_user
from support_community.cases.forms.listing import all_clients_choices, case_filters, organization_list_choices
from support_community.cases.labels import severity_label, status_label
from support_community.cases.models import Status
from support_community.cases.services import catalog, export, listing
from support_community.cases.views import bp
from support_community.cases.views.context import acting_organization
from support_community.extensions import db


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
    totals = listing.status_totals(user.sub, org_id)
    page = listing.organization_cases(org_id, filters, viewer_sub=user.sub, with_total=True, totals=totals)
    choices = organization_list_choices(
        catalog.products(include_inactive=True),
        listing.openers(org_id),
        viewer_sub=user.sub,
        language=current_language(),
    )
    organizations.remember_use(user.sub, org_id)
    db.session.commit()
    return render_template(
        "cases/list.html",
        org=acting_organization(),
        page=page,
        filters=filters,
        choices=choices,
        totals=totals,
        total_max=listing.TOTAL_MAX,
        list_url=lambda **changes: _list_url(filters, "cases.case_list", **changes),
        export_url=_list_url(filters, "cases.case_list_export", page=1),
    )


@bp.get("/cases")
@authenticated
def all_clients() -> ResponseReturnValue:
    """The cases of every organization the person may act for, in one list: open ones unless asked otherwise."""
    user = signed_in_user()
    filters = case_filters(request.args, across=True)
    count = user.organization_count
    # Up to this many organizations a drop-down chooses one; beyond it a text field finds one faster.
    limit = min(int(current_app.config["ORGANIZATION_SELECT_LIMIT"]), organizations.MAX_PER_PAGE - 1)
    listed = organizations.search(user.sub, per_page=limit + 1, total=count).items
    organization_select = len(listed) <= limit
    totals = listing.status_totals(user.sub) if count else dict.fromkeys(Status, 0)
    page = (
        listing.cases_across(user.sub, filters, totals=totals)
        if count
        else listing.CasePage([], 1, listing.PER_PAGE, False, 0)
    )
    names = organizations.names(user.sub, {case.organization_id for case in page.cases})
    return render_template(
        "cases/all_clients.html",
        page=page,
        filters=filters,
        organization_count=count,
        organizations=names,
        totals=totals,
        choices=all_clients_choices(listed),
        organization_select=organization_select,
        total_max=listing.TOTAL_MAX,
        list_url=lambda **changes: _list_url(filters, "cases.all_clients", **changes),
        export_url=_list_url(filters, "cases.all_clients_export", page=1),
    )


# -- CSV ----------------------------------------------------------------------------------------------
def _csv_response(query: Any, filename: str) -> Response:
    products = {product.key: product.name(current_language()) for product in catalog.products(include_inactive=True)}

    def when(value: dt.datetime | None) -> str:
        return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""

    header = [
        _("Case"),
        _("Organization"),
        _("Subject"),
        _("Status"),
        _("Severity"),
        _("Product"),
        _("Opened on"),
        _("Last activity"),
        _("Opened by"),
    ]

    def row(case: dict) -> list[object]:
        return [
            case["number"],
            case["organization_name"],
            case["subject"],
            status_label(case["status"]),
            severity_label(case["severity"]),
            products.get(case["product_key"], case["product_key"]),
            when(case["created_at"]),
            when(case["last_activity_at"]),
            case["opened_by"],
        ]

    lines = export.csv_lines(
        query,
        header=header,
        row=row,
        truncated=lambda limit: _("Only the first %(count)s cases are in this file: narrow the list.", count=limit),
    )
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cases/export.csv")
@authenticated
def all_clients_export() -> ResponseReturnValue:
    """The filtered list of "All my clients", every page, as CSV."""
    user = signed_in_user()
    filters = case_filters(request.args, across=True)
    query = listing.ordered(listing.across_query(user.sub, filters), filters)
    return _csv_response(query, "cases.csv")


@bp.get("/orgs/<uuid:org_id>/cases/export.csv")
@requires("case.view")
def case_list_export(org_id: uuid.UUID) -> ResponseReturnValue:
    """The organization's filtered list of cases, every page, as CSV."""
    filters = case_filters(request.args)
    query = listing.organization_query(org_id, filters, viewer_sub=signed_in_user().sub)
    return _csv_response(
        listing.ordered(query, filters),
        f"cases-{re.sub(r'[^A-Za-z0-9-]', '', acting_organization().customer_number)}.csv",
    )
