"""The one place told when someone's access to an organization shrinks or grows.

Removing a member, unticking an application access, demoting an administrator or a
member leaving all shrink what the relying parties may show that person; a new
organization, an approved request, an accepted invitation, a ticked access or a
promotion grow it. Every such service calls ``access_reduced`` or ``access_granted``
in the same transaction as the change, which announces it with a signal: the OpenID
Provider receives it and tells the clients with an access event, at once after the
commit and through the outbox when a client cannot be reached (``oidc.events``).
"""

from __future__ import annotations

from panda_portal.accounts.models import Account
from panda_portal.accounts.signals import announce
from panda_portal.organizations import signals
from panda_portal.organizations.models import Organization

REMOVED = "removed"
LEFT = "left"
ROLE_CHANGED = "role_changed"
ACCESS_REMOVED = "access_removed"

CREATED = "created"
APPROVED = "approved"
INVITATION_ACCEPTED = "invitation_accepted"
ACCESS_GRANTED = "access_granted"


def access_reduced(account: Account, organization: Organization, *, reason: str) -> None:
    """``account`` lost (some) access to ``organization``; ``reason`` is one of the constants above.

    Every client with a back-channel URI hears it before the person's next request
    there, which then no longer shows the organization (or shows the smaller role).
    """
    announce(signals.access_reduced, account=account, organization=organization, reason=reason)


def access_granted(account: Account, organization: Organization, *, reason: str) -> None:
    """``account`` gained access to ``organization`` (or more of it); ``reason`` is one of the constants above."""
    announce(signals.access_granted, account=account, organization=organization, reason=reason)
