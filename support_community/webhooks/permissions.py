"""Who may manage webhooks: an organization's administrators for it, support agents for every organization."""

from __future__ import annotations

from collections.abc import Iterable

ORGANIZATION_CAPABILITY = "org.webhooks.manage"
VENDOR_CAPABILITY = "vendor.webhooks.manage"

CAPABILITIES_BY_ORGANIZATION_ROLE: dict[str, frozenset[str]] = {
    "admin": frozenset({ORGANIZATION_CAPABILITY}),
}
CAPABILITIES_BY_ROLE: dict[str, frozenset[str]] = {
    "support_agent": frozenset({VENDOR_CAPABILITY}),
}


def organization_role_may(role: str, capability: str) -> bool:
    return capability in CAPABILITIES_BY_ORGANIZATION_ROLE.get(role, frozenset())


def roles_may(roles: Iterable[str], capability: str) -> bool:
    return any(capability in CAPABILITIES_BY_ROLE.get(role, frozenset()) for role in roles)
