"""Who may change an organization's rule about personal access tokens: its administrators."""

from __future__ import annotations

from panda_portal.organizations.models import Role

CAPABILITIES_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"org.personal_tokens.manage"}),
}
