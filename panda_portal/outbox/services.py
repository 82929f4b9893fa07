"""Panda's outbox instance; other packages register their message kinds on it."""

from __future__ import annotations

from panda_portal.extensions import db, mail
from panda_portal.outbox.models import OutboxMessage
from shared.outbox import Outbox

outbox = Outbox(db, OutboxMessage, mail)
