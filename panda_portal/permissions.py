"""Panda's capability check, used by the access hook, views, templates and services.

Each domain keeps its own role → capability table; ``can`` dispatches on the
capability's prefix (``org.*`` → organizations).
"""
from __future__ import annotations

from flask import abort

from panda_portal.accounts.session import current_account


def can(capability: str, view_args: dict) -> bool:
    account = current_account()
    if account is None:
        return False
    if capability.startswith("org."):
        from panda_portal.organizations.permissions import can as organization_can

        return organization_can(account, capability, view_args)
    abort(404)
