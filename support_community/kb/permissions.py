"""Who may do what with the knowledge base.

Reading needs no capability: the pages are public, and what a reader sees depends on
who they are (``Audience``): a visitor reads public articles, a signed-in person also
those for signed-in customers, a support agent also the internal ones. Writing,
publishing and the reports are the agents' (the token's ``roles``), like their workspace.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from support_community.kb.models import Visibility

CAPABILITIES_BY_ROLE: dict[str, frozenset[str]] = {
    "support_agent": frozenset({"kb.read_internal", "kb.edit", "kb.publish", "kb.report"}),
}


def roles_may(roles: Iterable[str], capability: str) -> bool:
    """Whether one of ``roles`` (the token's ``roles``) holds the knowledge-base ``capability``."""
    return any(capability in CAPABILITIES_BY_ROLE.get(role, frozenset()) for role in roles)


class Audience(enum.Enum):
    VISITOR = "visitor"
    CUSTOMER = "customer"
    AGENT = "agent"

    @property
    def visibilities(self) -> tuple[Visibility, ...]:
        """The visibilities of the articles this audience may read."""
        if self is Audience.AGENT:
            return (Visibility.PUBLIC, Visibility.CUSTOMERS, Visibility.INTERNAL)
        if self is Audience.CUSTOMER:
            return (Visibility.PUBLIC, Visibility.CUSTOMERS)
        return (Visibility.PUBLIC,)


def audience(*, signed_in: bool, reads_internal: bool) -> Audience:
    if reads_internal:
        return Audience.AGENT
    return Audience.CUSTOMER if signed_in else Audience.VISITOR
