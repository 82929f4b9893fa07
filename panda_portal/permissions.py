"""Panda's capability check, used by the access hook, views, templates and services.

Each domain keeps its own role → capability table in its ``permissions`` module
(``organizations``, ``audit``; accounts and the OpenID Provider have no
capabilities: their pages are ``@public`` or ``@authenticated``). This module only
composes the tables and dispatches on the capability's prefix: ``org.*`` is decided
by the person's role in the organization of the URL.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort

from panda_portal.accounts.session import current_account
from panda_portal.audit import permissions as audit
from panda_portal.organizations import permissions as organizations
from panda_portal.organizations.models import Role


def _compose(*tables: Mapping[Role, frozenset[str]]) -> dict[Role, frozenset[str]]:
    return {role: frozenset().union(*(table.get(role, frozenset()) for table in tables)) for role in Role}


ORGANIZATION_CAPABILITIES_BY_ROLE = _compose(organizations.CAPABILITIES_BY_ROLE, audit.CAPABILITIES_BY_ROLE)


def can(capability: str, view_args: dict) -> bool:
    account = current_account()
    if account is None:
        return False
    if capability.startswith("org."):
        return organizations.can(account, capability, view_args, ORGANIZATION_CAPABILITIES_BY_ROLE)
    abort(404)
