"""Who may read which audit log: the audit domain's role → capability table.

One's own activity needs only to be signed in (``@authenticated``). An
organization's log is for its administrators; the roles are the organization's
(``organizations.permissions`` resolves the membership from the URL).
"""

from __future__ import annotations

from panda_portal.organizations.models import Role

CAPABILITIES_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.MEMBER: frozenset(),
    Role.ADMIN: frozenset({"org.audit.view"}),
}
