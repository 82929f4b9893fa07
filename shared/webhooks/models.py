"""Columns of the webhook tables; each service declares its classes with its own ``Base``.

``class WebhookSubscription(WebhookSubscriptionMixin, Base)``, ``WebhookDelivery`` (one
event for one subscription: the message a receiver may get several times, always with
the same ``webhook-id``) and ``WebhookAttempt`` (the log of each try: status, response
time, the first kilobyte of the answer, the error).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.database import UTCDateTime, new_uuid, utcnow

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
HELD = "held"  # the subscription was paused: sent again when it is resumed

PAUSED_FAILING = "failing"
PAUSED_BY_HAND = "by_hand"


class WebhookSubscriptionMixin:
    """A URL subscribed to events of one organization, or of all of them (``organization_id`` None: the vendor)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(String(20))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_vendor(self) -> bool:
        return self.organization_id is None

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def secrets_in_use(self, now: dt.datetime) -> list[str]:
        """The secrets deliveries are signed with: the current one, and the previous one while it is valid."""
        valid = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            valid.append(self.previous_secret)
        return valid


class WebhookDeliveryMixin:
    """One event for one subscription."""

    __subscriptions_table__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def subscription_id(cls) -> Mapped[uuid.UUID]:
        table = cast(Any, cls).__subscriptions_table__
        return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        name = cast(Any, cls).__tablename__
        return (Index(f"ix_{name}_subscription_created", "subscription_id", "created_at"),)

    @property
    def message_id(self) -> str:
        """The ``webhook-id``: the same for every attempt of this delivery, by hand or not."""
        return f"msg_{self.id.hex}"


class WebhookAttemptMixin:
    """One try to deliver: what the receiver answered, how fast, or what went wrong."""

    __deliveries_table__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(String(500))
    by_hand: Mapped[bool] = mapped_column(Boolean, default=False)

    @declared_attr
    def delivery_id(cls) -> Mapped[uuid.UUID]:
        table = cast(Any, cls).__deliveries_table__
        return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)
