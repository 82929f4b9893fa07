"""The mail to a customer's contact address (from the customer register) when their organization is added to Panda."""

from __future__ import annotations

from flask import current_app

from panda_portal.accounts.models import Account
from panda_portal.organizations.models import CustomerRecord, Organization
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def send_organization_added(customer: CustomerRecord, organization: Organization, *, actor: Account) -> None:
    """Whoever knows the two numbers becomes the administrator: the customer hears who did, in their language."""
    if not customer.contact_email:
        return
    queue_mail(
        outbox,
        "organization_added",
        to=customer.contact_email,
        locale=customer.language or "en",
        organization=organization,
        actor=actor,
        link=current_app.config["VENDOR_SUPPORT_URL"] or current_app.config["COMMUNITY_URL"],
    )
