"""Mails about memberships: role changes, application accesses, removal; each in its recipient's language."""

from __future__ import annotations

from panda_portal.accounts.models import Account
from panda_portal.organizations.emails import panda_url
from panda_portal.organizations.models import Application, Membership, Role
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def send_role_changed(membership: Membership, *, actor: Account) -> None:
    account = membership.account
    queue_mail(
        outbox,
        "role_changed",
        to=account.email,
        locale=account.language,
        recipient=account.name,
        organization=membership.organization,
        actor=actor,
        administrator=membership.role == Role.ADMIN,
        link=_organization_page(membership),
    )


def send_access_granted(membership: Membership, applications: list[Application], *, actor: Account) -> None:
    account = membership.account
    queue_mail(
        outbox,
        "access_granted",
        to=account.email,
        locale=account.language,
        recipient=account.name,
        organization=membership.organization,
        actor=actor,
        applications=applications,
        link=_organization_page(membership),
    )


def send_access_removed(membership: Membership, applications: list[Application], *, actor: Account) -> None:
    account = membership.account
    queue_mail(
        outbox,
        "access_removed",
        to=account.email,
        locale=account.language,
        recipient=account.name,
        organization=membership.organization,
        actor=actor,
        applications=applications,
        link=_organization_page(membership),
    )


def send_member_removed(membership: Membership, *, actor: Account) -> None:
    account = membership.account
    queue_mail(
        outbox,
        "member_removed",
        to=account.email,
        locale=account.language,
        recipient=account.name,
        organization=membership.organization,
        actor=actor,
        link=panda_url("organizations.home"),
    )


def _organization_page(membership: Membership) -> str:
    return panda_url("organizations.organization_home", org_id=membership.organization_id)
