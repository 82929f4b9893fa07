"""Who may do what in the community: the token's ``orgs`` decide, nothing else.

Organization-owned routes carry the organization in the URL (``/orgs/<org_id>/…``).
``can`` resolves it once per request against the signed-in person's ``orgs``:
an organization that is not listed (or a malformed id) is a 404, so nobody learns
whether it exists. Within a listed organization the person's role there decides
which capabilities they hold.
"""
from __future__ import annotations

import uuid

from flask import abort, g

from support_community.auth.session import Organization, User, current_user

# What each role in an organization (the token's orgs[].role) may do there.
# Everyone the token lists for an organization works its cases, whatever their role in
# Panda: the grant "Support Community" is what gives access here.
_CASE_WORK = frozenset({
    "org.view",
    "case.view",
    "case.create",
    "case.reply",
    "case.attach",
    "case.close",
    "case.reopen",
    "case.follow",
})
ORG_ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "member": _CASE_WORK,
    "admin": _CASE_WORK,
}

# Capabilities that do not belong to one organization, per role in the token's ``roles``.
GLOBAL_ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "support_agent": frozenset({
        "agent.queue",
        "agent.case.view",
        "agent.case.reply",
        "agent.case.note",
        "agent.case.assign",
        "agent.case.status",
    }),
}


def _normalized(org_id: object) -> str | None:
    try:
        return str(org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id)))
    except (ValueError, TypeError, AttributeError):
        return None


def organization_for(user: User, org_id: object) -> Organization | None:
    """The organization ``org_id`` as the person's token lists it, or None."""
    wanted = _normalized(org_id)
    if wanted is None:
        return None
    for org in user.orgs:
        if _normalized(org.id) == wanted:
            return org
    return None


def has_capability(user: User | None, capability: str, org: Organization | None = None) -> bool:
    """The single rule, for views, templates and services alike."""
    if user is None:
        return False
    if org is not None:
        if organization_for(user, org.id) is None:
            return False
        return capability in ORG_ROLE_CAPABILITIES.get(org.role, frozenset())
    return any(capability in GLOBAL_ROLE_CAPABILITIES.get(role, frozenset()) for role in user.roles)


def can(capability: str, view_args: dict) -> bool:
    """The access hook's check for ``@requires(capability)``; answers 404 for unknown organizations."""
    user = current_user()
    if user is None:
        return False
    if "org_id" in view_args:
        org = organization_for(user, view_args["org_id"])
        if org is None:
            abort(404)
        g.current_org = org
        return has_capability(user, capability, org)
    return has_capability(user, capability)


def current_org() -> Organization | None:
    """The organization this request acts for (set by ``can`` from the URL), if any."""
    return g.get("current_org")
