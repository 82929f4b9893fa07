"""The one place told when someone's access to an organization shrinks.

Removing a member, unticking an application access, demoting an administrator
or a member leaving all change what the relying parties may show that person.
Every such service calls ``access_reduced`` in the same transaction as the
change, so telling the clients (OpenID back-channel logout through the outbox)
has a single point to hook into.
"""
from __future__ import annotations

from panda_portal.accounts.models import Account
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
    from panda_portal.oidc.services import queue_backchannel_logout

    queue_backchannel_logout(account)
