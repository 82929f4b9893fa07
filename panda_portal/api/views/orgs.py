"""The caller's organizations, and who the token is."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from panda_portal.api import schemas
from panda_portal.api.app import api
from panda_portal.api.common import acting_person, answer, offset_of, organization, page_of, paged
from panda_portal.extensions import db
from panda_portal.organizations.models import Membership, MembershipStatus, Organization
from panda_portal.organizations.permissions import current_membership
from panda_portal.personal_tokens import services as personal_tokens
from shared.access import api_scope
from shared.api import current_caller, etag_of, operation, query_args

bp = api.blueprint


def organization_out(org: Organization, role: str | None = None) -> schemas.Organization:
    return schemas.Organization(
        id=org.id,
        name=org.name,
        customer_number=org.customer_number,
        enterprise_number=org.enterprise_number_display,
        role=role,  # type: ignore[arg-type]
    )


def organization_etag(org: Organization) -> str:
    return etag_of(org.id, org.name, org.customer_number, org.enterprise_number)


@bp.get("/me")
@api_scope()
@operation(summary="Who the token belongs to", tags=["me"], responses={200: schemas.Me})
def me() -> ResponseReturnValue:
    caller = current_caller()
    return answer(
        schemas.Me(
            sub=caller.sub,
            person=caller.is_person,
            token_type=caller.token_type,  # type: ignore[arg-type]
            client_id=caller.client_id,
            scopes=sorted(caller.scopes),
        )
    )


@bp.get("/orgs")
@api_scope("orgs:read")
@operation(
    summary="The organizations the caller is a member of",
    tags=["organizations"],
    query=schemas.PageQuery,
    responses={200: schemas.OrganizationPage},
)
def list_organizations() -> ResponseReturnValue:
    query = query_args(schemas.PageQuery)
    offset = offset_of(query.cursor)
    statement = (
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.account_id == acting_person().id, Membership.status == MembershipStatus.ACTIVE)
    )
    if current_caller().token_type == personal_tokens.TOKEN_TYPE:
        # Organizations that refuse personal access tokens are not listed to one.
        statement = statement.where(Organization.id.not_in(personal_tokens.forbidding_organizations()))
    rows = db.session.execute(
        statement.order_by(Organization.name, Organization.id).offset(offset).limit(query.limit + 1)
    ).all()
    page, next_link = page_of(rows, offset, query.limit)
    items = [organization_out(org, str(role)) for org, role in page]
    return paged(items, next_link, schemas.OrganizationPage)  # type: ignore[arg-type]


@bp.get("/orgs/<uuid:org_id>")
@api_scope("orgs:read", capability="org.view")
@operation(
    summary="One of the caller's organizations",
    tags=["organizations"],
    responses={200: schemas.Organization, 304: None},
)
def get_organization(org_id: str) -> ResponseReturnValue:
    org = organization()
    response = answer(organization_out(org, str(current_membership().role)), headers={"ETag": organization_etag(org)})
    return response.make_conditional(request)  # type: ignore[union-attr]
