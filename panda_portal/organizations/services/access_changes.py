"""The one place told when someone's access to an organization shrinks.

Removing a member, unticking an application access, demoting an administrator
or a member leaving all change what the relying parties may show that person.
Every such service calls ``access_reduced`` in the same transaction as the
change, which announces it with ``signals.access_reduced``: the OpenID Provider
receives it and tells the clients (back-channel logout through the outbox).
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


def access_reduced(account: Account, organization: Organization, *, reason: str) -> None:
    """``account`` lost (some) access to ``organization``; ``reason`` is one of the constants above.

    Every client with a back-channel logout URI ends the person's sessions there, so
    the person's very next request signs in again (silently) and receives the new
    ``orgs`` list. The message goes through the outbox and is retried while the client
    is down; access tokens live five minutes, so the change holds even if it is lost.
    """
    announce(signals.access_reduced, account=account, organization=organization, reason=reason)
