"""What the agent workspace remembers per agent."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime, utcnow
from support_community.extensions import Base


class QueuePreference(Base):
    """The queue filter an agent chose last: the queue opens on it again, also after signing out."""

    __tablename__ = "agent_queue_preferences"

    agent_sub: Mapped[str] = mapped_column(ForeignKey("people.sub", ondelete="CASCADE"), primary_key=True)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
