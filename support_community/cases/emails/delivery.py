"""The last check before a case mail leaves: its recipient may still see the case.

A mail about a case is queued with its recipient's ``sub`` and what they must hold
(``recipients``): the case's organization, or the agent role. The outbox worker asks
again just before sending, because access may have been withdrawn in Panda since the
mail was queued (a reply queued a second before the person was removed, a worker that
was stopped for an hour). A mail whose recipient no longer may see the case is dropped
and logged, not retried: the outbox marks it handled.

What the community knows comes from ``auth.access``. When it knows nothing of the
person yet, or Panda said their list changed and it was not read since, the worker
reads it from Panda first. If Panda cannot be reached: for a person known here the mail
follows what is kept (which no longer holds what Panda withdrew); for a person not
known here the mail waits in the outbox (retried with back-off) rather than leave
unchecked.
"""

from __future__ import annotations

import logging
import uuid

from support_community.auth import access
from support_community.auth.provider import ProviderUnavailable
from support_community.extensions import db
from support_community.outbox.services import outbox

log = logging.getLogger(__name__)

# The payload key of what the recipient must still hold when the mail is sent.
AUDIENCE = "audience"
SUPPORT_AGENT = access.SUPPORT_AGENT

_send_mail = outbox.handlers["mail"]  # the plain sender, before ``install`` wraps it


class RecipientUnknown(Exception):
    """Nothing is known of the recipient and Panda cannot be asked now: the mail waits (retried)."""


def may_still_receive(audience: dict) -> bool:
    """Whether the mail's recipient may still see the case (asking Panda first when the community must)."""
    sub = str(audience.get("sub") or "")
    if not sub:
        return False
    if access.needs_reading(sub):
        known = access.is_known(sub)
        try:
            access.read_from_panda(sub)
            db.session.commit()
        except ProviderUnavailable as exc:
            db.session.rollback()
            if not known:
                raise RecipientUnknown(f"access of {sub} unknown and Panda unavailable: {exc}") from exc
    if SUPPORT_AGENT in access.roles_of(sub):
        return True
    if audience.get("agent"):
        return False
    try:
        organization_id = uuid.UUID(str(audience.get("organization_id")))
    except ValueError:
        return False
    return access.holds(sub, organization_id)


def deliver_mail(payload: dict) -> None:
    """The community's outbox handler of mails: a case mail only reaches someone who may still see the case."""
    audience = payload.get(AUDIENCE)
    if isinstance(audience, dict) and not may_still_receive(audience):
        log.info(
            "mail %r to %s dropped: the recipient may no longer see organization %s",
            payload.get("subject"),
            audience.get("sub"),
            audience.get("organization_id"),
        )
        return
    _send_mail(payload)


def install() -> None:
    """Make the community's outbox check case mails before it sends them."""
    outbox.register("mail", deliver_mail)
