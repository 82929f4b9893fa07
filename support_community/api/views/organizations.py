"""The organizations the caller may act for (the same list as *Switch organization*)."""

from __future__ import annotations

import uuid

from flask import jsonify
from flask.typing import ResponseReturnValue

from shared.access import api_scope
from shared.api import decode_cursor, encode_cursor, next_url, operation, query_args
from shared.api.paging import add_link_header
from support_community.api import schemas
from support_community.api.blueprint import bp
from support_community.auth import organizations
from support_community.auth.session import signed_in_user


@bp.get("/orgs")
@api_scope("cases:read")
@operation(
    summary="The organizations the caller may act for",
    description="By name. A personal access token does not list organizations that forbid personal access tokens.",
    tags=["organizations"],
    query=schemas.OrganizationQuery,
    responses={200: schemas.OrganizationList},
)
def organization_list() -> ResponseReturnValue:
    args = query_args(schemas.OrganizationQuery)
    position = decode_cursor(args.cursor) or {}
    page_number = int(position.get("page", 1))
    user = signed_in_user()
    forbidden: frozenset[str] = getattr(user, "forbidden_orgs", frozenset())
    page = organizations.search(user.sub, args.q, page=page_number, per_page=args.limit)
    items = [
        schemas.Organization(
            id=uuid.UUID(org.id),
            name=org.name,
            enterprise_number=org.enterprise_number,
            customer_number=org.customer_number,
            role=org.role,
        )
        for org in page.items
        if org.id not in forbidden  # not one a personal access token may not use
    ]
    link = next_url(encode_cursor({"page": page_number + 1})) if page.has_next else None
    body = schemas.OrganizationList(items=items, next=link)
    return add_link_header(jsonify(body.model_dump(mode="json")), link)
