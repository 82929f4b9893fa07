"""What Panda tells a client about a person, per scope.

| scope   | claims                                                                 |
|---------|------------------------------------------------------------------------|
| openid  | ``sub`` (the account's UUID)                                           |
| profile | ``name``, ``locale`` (the account's language)                          |
| email   | ``email``, ``email_verified``                                          |
| orgs    | ``orgs`` (see ``orgs_claim``), ``roles`` and ``orgs_version``          |

The ID token and the JWT access token carry every claim but ``orgs``: an
accountant's list of thousands of organizations is hundreds of kilobytes, and
these tokens travel in headers and URLs, which proxies cap at 8-16 KB. They carry
``orgs_version`` instead (``access.orgs_version``), which tells a client whether
the list it keeps is still Panda's. The list itself, in the same shape, is in the
userinfo response and in the access read (``views.access``).

``roles`` travels with ``orgs`` because both say what the person may do in the
client: ``["support_agent"]`` for vendor staff, ``[]`` for everyone else.

An organization that requires two-step verification is not in the ``orgs`` of a
member without it; userinfo and the access read name it in ``held_back`` instead
(``held_back_claim``), so the client can tell the person why it is missing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

from authlib.oauth2.rfc6749.util import scope_to_list
from sqlalchemy import select

from panda_portal.extensions import db
from panda_portal.oidc.models import OidcClient
from panda_portal.organizations.enterprise_numbers import format_enterprise_number
from panda_portal.organizations.models import ApplicationGrant, Membership, MembershipStatus, Organization, Role
from panda_portal.organizations.services.two_step_requirement import (
    HELD_BACK_REASON,
    held_back_condition,
    usable_condition,
)

SUPPORT_AGENT_ROLE = "support_agent"


class Person(Protocol):
    """What the claims of a person are made of: an ``Account``, or its columns read for a refresh."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def email_verified_at(self) -> dt.datetime | None: ...
    @property
    def is_support_agent(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...


CLAIMS_SUPPORTED = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "amr",
    "acr",
    "nonce",
    "sid",
    "at_hash",
    "name",
    "locale",
    "email",
    "email_verified",
    "orgs",
    "roles",
    "orgs_version",
    "held_back",
)


def orgs_claim(account: Person, client: OidcClient) -> list[dict[str, str]]:
    """The organizations ``account`` may act for in ``client``, in one query.

    Each entry: ``{"id", "name", "enterprise_number", "customer_number", "role"}``
    for every organization where the account is an active member and, when the
    client has a ``required_grant``, where that application grant is set; an
    organization that requires two-step verification only when the account has it.
    """
    query = (
        select(
            Organization.id,
            Organization.name,
            Organization.enterprise_number,
            Organization.customer_number,
            Membership.role,
        )
        .join(Membership, Membership.organization_id == Organization.id)
        .where(
            Membership.account_id == account.id,
            Membership.status == MembershipStatus.ACTIVE,
            usable_condition(account.id),
        )
        .order_by(Organization.name, Organization.id)
    )
    if client.required_grant:
        query = query.join(
            ApplicationGrant,
            (ApplicationGrant.membership_id == Membership.id)
            & (ApplicationGrant.application_key == client.required_grant),
        )
    return [
        {
            "id": str(org_id),
            "name": name,
            "enterprise_number": format_enterprise_number(enterprise_number),
            "customer_number": customer_number,
            "role": Role(role).value,
        }
        for org_id, name, enterprise_number, customer_number, role in db.session.execute(query)
    ]


def held_back_claim(account: Person, client: OidcClient) -> list[dict[str, str]]:
    """The organizations ``orgs_claim`` would list but for two-step verification, in one query.

    Each entry: ``{"id", "name", "reason": "two_step_required"}``: the organization
    requires two-step verification, which the account has not set up. Empty for a
    disabled account, like ``orgs``.
    """
    if not account.is_active:
        return []
    query = (
        select(Organization.id, Organization.name)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(
            Membership.account_id == account.id,
            Membership.status == MembershipStatus.ACTIVE,
            held_back_condition(account.id),
        )
        .order_by(Organization.name, Organization.id)
    )
    if client.required_grant:
        query = query.join(
            ApplicationGrant,
            (ApplicationGrant.membership_id == Membership.id)
            & (ApplicationGrant.application_key == client.required_grant),
        )
    return [{"id": str(org_id), "name": name, "reason": HELD_BACK_REASON} for org_id, name in db.session.execute(query)]


def roles_claim(account: Person) -> list[str]:
    return [SUPPORT_AGENT_ROLE] if account.is_support_agent else []


def user_claims(account: Person, client: OidcClient, scope: str, *, with_orgs: bool = False) -> dict[str, Any]:
    """The claims ``scope`` allows; the ``orgs`` list itself only ``with_orgs`` (userinfo, never a token).

    Without the list (a token), ``orgs_version`` comes from ``access.orgs_version``, which
    reads the list only when it may have changed.
    """
    from panda_portal.oidc.access import orgs_snapshot, orgs_version

    scopes = set(scope_to_list(scope) or [])
    claims: dict[str, Any] = {"sub": str(account.id)}
    if "profile" in scopes:
        claims["name"] = account.name
        claims["locale"] = account.language
    if "email" in scopes:
        claims["email"] = account.email
        claims["email_verified"] = account.email_verified_at is not None
    if "orgs" in scopes and with_orgs:
        snapshot = orgs_snapshot(account, client)
        claims["orgs"] = snapshot.orgs
        claims["roles"] = snapshot.roles
        claims["orgs_version"] = snapshot.version
        claims["held_back"] = held_back_claim(account, client)
    elif "orgs" in scopes:
        # As the snapshot has them: a disabled account may do nothing anywhere.
        claims["roles"] = roles_claim(account) if account.is_active else []
        claims["orgs_version"] = orgs_version(account, client)
    return claims
