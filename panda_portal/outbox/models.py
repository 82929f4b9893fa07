from __future__ import annotations

from panda_portal.extensions import Base
from shared.outbox import OutboxMessageMixin


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox_messages"
