"""Panda's capability check, used by the access hook, views, templates and services.

Each domain keeps its own role → capability table in its ``permissions`` module
(``organizations``, ``audit``; accounts and the OpenID Provider have no
capabilities: their pages are ``@public`` or ``@authenticated``). This module only
composes the tables and dispatches on the capability's prefix: ``org.*`` is decided
by the person's role in the organization of the URL; in an organization that requires
two-step verification, an administrator without it is sent to set it up before doing
anything a member may not (``organizations.permissions.administers_without_required_two_step``).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_babel import gettext as _

from panda_portal.accounts.models import Account
from panda_portal.accounts.session import current_account
from panda_portal.audit import permissions as audit
from panda_portal.organizations import permissions as organizations
from panda_portal.organizations.models import Role
from panda_portal.personal_tokens import permissions as personal_tokens
from panda_portal.webhooks import permissions as webhooks
from shared.api import API_ROOT
from shared.web import safe_next


def _compose(*tables: Mapping[Role, frozenset[str]]) -> dict[Role, frozenset[str]]:
    return {role: frozenset().union(*(table.get(role, frozenset()) for table in tables)) for role in Role}


ORGANIZATION_CAPABILITIES_BY_ROLE = _compose(
    organizations.CAPABILITIES_BY_ROLE,
    audit.CAPABILITIES_BY_ROLE,
    personal_tokens.CAPABILITIES_BY_ROLE,
    webhooks.CAPABILITIES_BY_ROLE,
)


def acting_account() -> Account | None:
    """Who acts: the person of an API request's bearer token (never a cookie there), else the signed-in person."""
    if has_request_context() and request.path.startswith(API_ROOT):
        return g.get("api_account") if g.get("api_caller") is not None else None
    return current_account()


def _set_up_two_step_first() -> bool:
    """An administrator of an organization that requires two-step verification, without it: the API
    refuses (403); a page sends them to set it up, and back here afterwards."""
    if request.path.startswith(API_ROOT):
        return False
    organization = organizations.current_organization()
    flash(
        _(
            "%(organization)s requires two-step verification: set it up to administer this organization.",
            organization=organization.name,
        ),
        "warning",
    )
    if request.method == "GET":
        back = safe_next(request.full_path.rstrip("?"), "")
    else:  # a form's post: back to the organization's page
        back = url_for("organizations.organization_home", org_id=organization.id)
    abort(redirect(url_for("mfa.set_up", next=back) if back else url_for("mfa.set_up")))


def can(capability: str, view_args: dict) -> bool:
    account = acting_account()
    if account is None:
        return False
    if capability.startswith("org."):
        if not organizations.can(account, capability, view_args, ORGANIZATION_CAPABILITIES_BY_ROLE):
            return False
        if organizations.administers_without_required_two_step(account, capability, ORGANIZATION_CAPABILITIES_BY_ROLE):
            return _set_up_two_step_first()
        return True
    if capability.startswith("vendor."):
        return webhooks.vendor_may(account, capability)
    abort(404)
