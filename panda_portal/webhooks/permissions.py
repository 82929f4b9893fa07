"""Who may manage webhooks: an organization's administrators for it, the vendor's staff for every organization."""

from __future__ import annotations

from panda_portal.accounts.models import Account
from panda_portal.organizations.models import Role

ORGANIZATION_CAPABILITY = "org.webhooks.manage"
VENDOR_CAPABILITY = "vendor.webhooks.manage"

CAPABILITIES_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({ORGANIZATION_CAPABILITY}),
}


def vendor_may(account: Account, capability: str) -> bool:
    """The vendor's staff (support agents) hold the vendor's capabilities."""
    return capability == VENDOR_CAPABILITY and bool(account.is_support_agent)
