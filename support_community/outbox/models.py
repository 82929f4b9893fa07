from __future__ import annotations

from shared.outbox import OutboxMessageMixin
from support_community.extensions import Base


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox_messages"
