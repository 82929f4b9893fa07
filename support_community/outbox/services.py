from __future__ import annotations

from shared.outbox import Outbox
from support_community.extensions import db, mail
from support_community.outbox.models import OutboxMessage

outbox = Outbox(db, OutboxMessage, mail)
