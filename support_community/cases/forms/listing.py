"""The lists' query strings (whitelisted) and the choices of their filters, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_babel import gettext as _
from sqlalchemy import Row

from support_community.auth.organizations import ListedOrganization
from support_community.auth.session import OrganizationClaim
from support_community.cases.forms.choices import severity_choices, status_choices
from support_community.cases.labels import STATUS_ORDER
from support_community.cases.models import OPEN_STATUSES, Product, Severity
from support_community.cases.services.listing import ANY_STATUS, DIRECTIONS, MAX_PAGE, QUERY_MAX, SORTS, CaseFilters

Choices = list[tuple[str, str]]


def _one_of(value: str | None, allowed: set[str] | tuple[str, ...], default: str = "") -> str:
    return value if value is not None and value in allowed else default


def _page(raw: str | None) -> int:
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


def status_filter_choices(*, open_only: bool = False, across: bool = False) -> Choices:
    """The status filter's choices; "All my clients" (``across``) shows open cases unless asked for the history."""
    if across:
        return [("", _("All open cases")), (ANY_STATUS, _("All cases, also solved and closed"))] + status_choices(
            list(STATUS_ORDER)
        )
    statuses = [s for s in STATUS_ORDER if not open_only or s in OPEN_STATUSES]
    first = (
        [("", _("All open cases"))]
        if open_only
        else [("", _("All statuses")), ("open", _("Open (not solved or closed)"))]
    )
    return first + status_choices(statuses)


def case_filters(args: Mapping[str, str], *, across: bool = False) -> CaseFilters:
    """The list's filters from the query string; anything unknown is ignored, never an error."""
    statuses = {value for value, _label in status_filter_choices(across=across)}
    return CaseFilters(
        status=_one_of(args.get("status"), statuses),
        severity=_one_of(args.get("severity"), {s.value for s in Severity}),
        product="" if across else (args.get("product") or "")[:64],
        opener=_one_of(args.get("opener"), ("me",)) if across else (args.get("opener") or "")[:64],
        q=" ".join((args.get("q") or "").split())[:QUERY_MAX],
        sort=_one_of(args.get("sort"), SORTS, "activity"),
        direction=_one_of(args.get("direction"), DIRECTIONS, "desc"),
        page=_page(args.get("page")),
        organization=(args.get("org") or "").strip()[:100] if across else "",
    )


def _severity_filter_choices() -> Choices:
    return [("", _("All severities"))] + severity_choices()


def organization_list_choices(
    products: Iterable[Product], openers: Iterable[Row], *, viewer_sub: str, language: str
) -> dict[str, Choices]:
    """The filters of an organization's list: status, severity, product, opener, sort and order."""
    return {
        "status": status_filter_choices(),
        "severity": _severity_filter_choices(),
        "product": [("", _("All products"))] + [(product.key, product.name(language)) for product in products],
        "opener": [("", _("Anyone")), ("me", _("Opened by me"))]
        + [(person.sub, person.name) for person in openers if person.sub != viewer_sub],
        "sort": sort_choices(),
        "direction": direction_choices(),
    }


def sort_choices() -> Choices:
    return [
        ("activity", _("Last activity")),
        ("created", _("Opened on")),
        ("severity", _("Severity")),
        ("status", _("Status")),
        ("number", _("Case number")),
    ]


def direction_choices() -> Choices:
    return [("desc", _("Descending")), ("asc", _("Ascending"))]


def all_clients_choices(orgs: Iterable[OrganizationClaim | ListedOrganization]) -> dict[str, Choices]:
    """The filters of "All my clients": organization (of ``orgs``, when few), status, severity, opener, sort."""
    return {
        "organization": [("", _("All organizations"))] + [(str(org.id), org.name) for org in orgs],
        "status": status_filter_choices(across=True),
        "severity": _severity_filter_choices(),
        "opener": [("", _("Anyone")), ("me", _("Opened by me"))],
        "sort": sort_choices(),
        "direction": direction_choices(),
    }
