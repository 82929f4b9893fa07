"""The transactional outbox: messages written with the change that causes them.

A view's change and the mail (or back-channel message) it causes are committed in
one transaction. ``panda outbox work`` / ``community outbox work`` claim due rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers can run),
deliver them, and mark them sent in the same transaction that held the claim.
Failures are retried with exponential back-off; after ``MAX_ATTEMPTS`` the row is
kept, marked failed, for an operator to look at.
"""
from shared.outbox.models import OutboxMessageMixin
from shared.outbox.service import Outbox, PermanentDeliveryError

__all__ = ["Outbox", "OutboxMessageMixin", "PermanentDeliveryError"]
