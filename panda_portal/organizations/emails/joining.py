"""Mails about requests to join, each in its recipient's own language."""

from __future__ import annotations

from panda_portal.accounts.models import Account
from panda_portal.organizations.emails import panda_url
from panda_portal.organizations.models import Membership
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def send_join_request(membership: Membership, administrators: list[Account]) -> None:
    """One mail per administrator, each with the link to decide."""
    link = panda_url("organizations.request_detail", org_id=membership.organization_id, membership_id=membership.id)
    for administrator in administrators:
        queue_mail(
            outbox,
            "join_request",
            to=administrator.email,
            locale=administrator.language,
            recipient=administrator.name,
            requester=membership.account,
            organization=membership.organization,
            message=membership.request_message,
            link=link,
        )


def send_join_approved(membership: Membership, *, actor: Account) -> None:
    account = membership.account
    queue_mail(
        outbox,
        "join_approved",
        to=account.email,
        locale=account.language,
        recipient=account.name,
        organization=membership.organization,
        actor=actor,
        message=membership.decision_message,
        link=panda_url("organizations.organization_home", org_id=membership.organization_id),
    )


def send_join_rejected(membership: Membership, *, actor: Account) -> None:
    account = membership.account
    queue_mail(
        outbox,
        "join_rejected",
        to=account.email,
        locale=account.language,
        recipient=account.name,
        organization=membership.organization,
        actor=actor,
        message=membership.decision_message,
        link=panda_url("organizations.home"),
    )
