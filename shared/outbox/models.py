from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.database import UTCDateTime, utcnow


class OutboxMessageMixin:
    """Columns of an outbox row; each service declares ``class OutboxMessage(OutboxMessageMixin, Base)``."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        # The worker's query: pending rows that are due, oldest first.
        return (Index(f"ix_{cast(Any, cls).__tablename__}_due", "sent_at", "failed_at", "next_attempt_at"),)
