"""The transactional outbox: messages written with the change that causes them.

A view's change and the mail (or back-channel message) it causes are committed in
one transaction. ``panda outbox work`` / ``community outbox work`` claim a due row
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers can run) with a
lease that is committed before delivering, so no lock is held while SMTP or the other
service is slow; the outcome is recorded in a second transaction. Failures are retried
with exponential back-off; after ``MAX_ATTEMPTS`` the row is kept, marked failed, for
an operator to look at. A worker that dies between delivering and recording leaves the
row to be delivered again once its lease has run out (at least once).
"""

from shared.outbox.models import OutboxMessageMixin
from shared.outbox.service import Outbox, PermanentDeliveryError

__all__ = ["Outbox", "OutboxMessageMixin", "PermanentDeliveryError"]
