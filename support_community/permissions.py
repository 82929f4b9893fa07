"""Who may do what in the community: the token decides, nothing else.

Each domain keeps its own capability table (``cases.permissions``: by the role in an
organization; ``agents.permissions`` and ``kb.permissions``: by the token's ``roles``); this module puts them
together in the one check views, templates, services and the access hook use.

Organization-owned routes carry the organization in the URL (``/orgs/<org_id>/…``).
``can`` resolves it once per request against the signed-in person's ``orgs``:
an organization that is not listed (or a malformed id) is a 404, so nobody learns
whether it exists. Within a listed organization the person's role there decides
which capabilities they hold.
"""

from __future__ import annotations

from flask import abort, g

from support_community.agents.permissions import roles_may
from support_community.auth.session import OrganizationClaim, SignedInPerson, current_user
from support_community.cases.permissions import organization_role_may
from support_community.kb.permissions import roles_may as kb_roles_may
from support_community.webhooks import permissions as webhooks


def has_capability(user: SignedInPerson | None, capability: str, org: OrganizationClaim | None = None) -> bool:
    """The single rule, for views, templates and services alike."""
    if user is None:
        return False
    if org is not None:
        if user.organization(org.id) is None:
            return False
        return organization_role_may(org.role, capability) or webhooks.organization_role_may(org.role, capability)
    return (
        roles_may(user.roles, capability)
        or kb_roles_may(user.roles, capability)
        or webhooks.roles_may(user.roles, capability)
    )


def can(capability: str, view_args: dict) -> bool:
    """The access hook's check for ``@requires(capability)``; answers 404 for unknown organizations."""
    user = current_user()
    if user is None:
        return False
    if "org_id" in view_args:
        org = user.organization(view_args["org_id"])
        if org is None:
            from support_community.auth.held_back import refusal

            abort(refusal(user, view_args["org_id"]))  # 404, saying why when Panda holds it back
        g.current_org = org
        return has_capability(user, capability, org)
    return has_capability(user, capability)


def current_org() -> OrganizationClaim | None:
    """The organization this request acts for (set by ``can`` from the URL), if any."""
    return g.get("current_org")
