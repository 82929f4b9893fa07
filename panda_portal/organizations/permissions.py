"""Who may do what in an organization: the organizations domain's role → capability table.

The organization comes from the URL (``/orgs/<org_id>/…``). It is resolved once
per request together with the person's membership; someone who is not an active
member gets 404, so an organization's existence does not leak. Other domains keep
their own tables for the same roles (``audit.permissions``); ``panda_portal.permissions``
composes them into the one ``can``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from flask import abort, g
from sqlalchemy import select

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role

MEMBER_CAPABILITIES = frozenset(
    {
        "org.view",
        "org.leave",
    }
)
ADMIN_CAPABILITIES = MEMBER_CAPABILITIES | frozenset(
    {
        "org.members.view",
        "org.members.manage",
        "org.requests.decide",
        "org.invitations.manage",
        "org.settings.manage",
    }
)
CAPABILITIES_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.MEMBER: MEMBER_CAPABILITIES,
    Role.ADMIN: ADMIN_CAPABILITIES,
}


def parse_uuid_or_404(value: object) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        abort(404)


def active_membership(account: Account, organization_id: uuid.UUID) -> Membership | None:
    return (
        db.session.execute(
            select(Membership).where(
                Membership.account_id == account.id,
                Membership.organization_id == organization_id,
                Membership.status == MembershipStatus.ACTIVE,
            )
        )
        .unique()
        .scalar_one_or_none()
    )


def membership_has(
    membership: Membership | None, capability: str, capabilities_by_role: Mapping[Role, frozenset[str]]
) -> bool:
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return False
    return capability in capabilities_by_role.get(membership.role, frozenset())


def resolve_organization(account: Account, org_id: object) -> tuple[Organization, Membership]:
    """The URL's organization and the account's active membership there, or 404."""
    cached = g.get("org_context")
    organization_id = parse_uuid_or_404(org_id)
    if cached and cached[0].id == organization_id:
        return cached
    membership = active_membership(account, organization_id)
    if membership is None:
        abort(404)
    g.org_context = (membership.organization, membership)
    return g.org_context


def can(
    account: Account, capability: str, view_args: dict, capabilities_by_role: Mapping[Role, frozenset[str]]
) -> bool:
    """Whether ``account``'s role in the URL's organization holds ``capability`` (404 for non-members)."""
    if not any(capability in capabilities for capabilities in capabilities_by_role.values()):
        raise LookupError(f"unknown capability {capability!r}")
    if "org_id" not in view_args:
        raise LookupError(f"capability {capability!r} needs an organization in the URL")
    _organization, membership = resolve_organization(account, view_args["org_id"])
    return membership_has(membership, capability, capabilities_by_role)


def administers_without_required_two_step(
    account: Account, capability: str, capabilities_by_role: Mapping[Role, frozenset[str]]
) -> bool:
    """Whether ``capability`` administers the URL's organization (more than a member may do) while that
    organization requires two-step verification and ``account`` has not set it up.

    Such an administrator stays one, but must set it up before administering; the pages every member
    sees stay open (call after ``can`` has resolved the organization)."""
    organization, _membership = g.org_context
    if not organization.requires_two_step or capability in capabilities_by_role.get(Role.MEMBER, frozenset()):
        return False
    from panda_portal.mfa.services.two_step import is_on

    return not is_on(account)


def current_organization() -> Organization:
    return g.org_context[0]


def current_membership() -> Membership:
    return g.org_context[1]
