"""The mail that asks the administrators for a member's application access."""

from __future__ import annotations

from panda_portal.accounts.models import Account
from panda_portal.organizations.emails import panda_url
from panda_portal.organizations.models import Application, Membership
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def send_access_ask(membership: Membership, application: Application, administrators: list[Account]) -> None:
    """One mail per administrator, in their language, leading to the member's detail screen."""
    link = (
        panda_url("organizations.member_detail", org_id=membership.organization_id, membership_id=membership.id)
        + "#access"
    )
    for administrator in administrators:
        queue_mail(
            outbox,
            "access_ask",
            to=administrator.email,
            locale=administrator.language,
            recipient=administrator.name,
            requester=membership.account,
            organization=membership.organization,
            application=application.name(administrator.language),
            link=link,
        )
