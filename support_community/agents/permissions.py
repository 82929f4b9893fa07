"""Who may work in the agents' workspace: capabilities of no one organization, from the token's ``roles``."""

from __future__ import annotations

from collections.abc import Iterable

CAPABILITIES_BY_ROLE: dict[str, frozenset[str]] = {
    "support_agent": frozenset(
        {
            "agent.queue",
            "agent.case.view",
            "agent.case.reply",
            "agent.case.note",
            "agent.case.assign",
            "agent.case.status",
            "agent.canned",
            "agent.bulk",
            "agent.reports",
        }
    ),
}


def roles_may(roles: Iterable[str], capability: str) -> bool:
    """Whether one of ``roles`` (the token's ``roles``) holds ``capability``."""
    return any(capability in CAPABILITIES_BY_ROLE.get(role, frozenset()) for role in roles)
