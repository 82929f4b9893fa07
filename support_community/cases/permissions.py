"""Who may do what with an organization's cases: the person's role there, as the token's ``orgs`` gives it.

Everyone the token lists for an organization works its cases, whatever their role in
Panda: the grant "Support Community" is what gives access here.
"""

from __future__ import annotations

CASE_WORK = frozenset(
    {
        "org.view",
        "case.view",
        "case.create",
        "case.reply",
        "case.attach",
        "case.close",
        "case.reopen",
        "case.follow",
    }
)
CAPABILITIES_BY_ORGANIZATION_ROLE: dict[str, frozenset[str]] = {
    "member": CASE_WORK,
    "admin": CASE_WORK,
}


def organization_role_may(role: str, capability: str) -> bool:
    """Whether someone with ``role`` in an organization (``orgs[].role``) holds ``capability`` there."""
    return capability in CAPABILITIES_BY_ORGANIZATION_ROLE.get(role, frozenset())
