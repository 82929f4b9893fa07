"""For the vendor's staff: the customer register (bulk upsert) and every organization.

The vendor's staff are support agents (``is_support_agent``) using their own token, and the
vendor's integrations acting for themselves (``client_credentials``); both need the scope.
"""

from __future__ import annotations

from flask import g
from flask.typing import ResponseReturnValue
from sqlalchemy import or_, select

from panda_portal.api import schemas
from panda_portal.api.app import api
from panda_portal.api.common import answer, offset_of, page_of, paged, require_vendor_staff
from panda_portal.api.views.orgs import organization_out
from panda_portal.extensions import db
from panda_portal.organizations.models import Organization
from panda_portal.organizations.services.customer_register import HEADER, import_customers
from shared.access import api_scope
from shared.api import ApiCaller, current_caller, json_body, operation, query_args

bp = api.blueprint


@bp.get("/vendor/organizations")
@api_scope("orgs:read")
@operation(
    summary="Every organization (the vendor's staff)",
    tags=["vendor"],
    query=schemas.SearchQuery,
    responses={200: schemas.OrganizationPage},
)
def all_organizations() -> ResponseReturnValue:
    require_vendor_staff()
    query = query_args(schemas.SearchQuery)
    offset = offset_of(query.cursor)
    statement = select(Organization).order_by(Organization.name, Organization.id)
    if query.q:
        term = query.q.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        conditions = [Organization.name.ilike(f"%{_escaped(term)}%", escape="\\"), Organization.customer_number == term]
        if digits:
            conditions.append(Organization.enterprise_number.like(f"%{digits}%"))
        statement = statement.where(or_(*conditions))
    rows = db.session.scalars(statement.offset(offset).limit(query.limit + 1)).all()
    page, next_link = page_of(rows, offset, query.limit)
    return paged([organization_out(org) for org in page], next_link, schemas.OrganizationPage)


def _escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@bp.post("/vendor/customers")
@api_scope("orgs:admin")
@operation(
    summary="Add or update rows of the customer register (the vendor's staff)",
    description="Each customer is added, or updated when its customer number is known. Invalid customers are "
    "reported in `rejected`, by their position in the request, and the others are still written. "
    "`contact_email` and `language` left out keep what the register holds.",
    tags=["vendor"],
    body=schemas.CustomersUpsert,
    responses={200: schemas.UpsertReport},
)
def upsert_customers() -> ResponseReturnValue:
    require_vendor_staff()
    wanted = json_body(schemas.CustomersUpsert)
    # Rows that name the same optional columns are written together (left-out columns stay as they are).
    groups: dict[tuple[str, ...], list[tuple[int, list[str]]]] = {}
    for index, customer in enumerate(wanted.customers):
        columns = HEADER + tuple(name for name in ("contact_email", "language") if getattr(customer, name) is not None)
        fields = [str(getattr(customer, name)) for name in columns]
        groups.setdefault(columns, []).append((index, fields))
    report = schemas.UpsertReport(added=0, updated=0, unchanged=0, rejected=[])
    caller = current_caller()
    for columns, rows in groups.items():
        result = import_customers(_Rows(rows, columns), actor=g.get("api_account"), actor_label=_label(caller))
        report.added += result.added
        report.updated += result.updated
        report.unchanged += result.unchanged
        report.rejected += [schemas.Rejected(index=r.line, reason=r.reason) for r in result.rejected]
    report.rejected.sort(key=lambda item: item.index)
    db.session.commit()
    return answer(report)


def _label(caller: ApiCaller) -> str | None:
    return None if caller.is_person else f"client {caller.client_id} (API)"


class _Rows(list):
    """``(position, fields)`` pairs with the columns they hold, as ``import_customers`` reads a register file."""

    def __init__(self, rows: list[tuple[int, list[str]]], columns: tuple[str, ...]) -> None:
        super().__init__(rows)
        self.columns = columns
