"""The webhook subscriptions as both services' APIs show them (pydantic, for the OpenAPI documents)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field


class NewWebhook(BaseModel):
    url: str = Field(max_length=2000, description="Where events are posted: an http(s) URL on a public address.")
    description: str = Field(default="", max_length=200)
    events: list[str] = Field(min_length=1, max_length=20, description="The event types to receive.")


class Webhook(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID | None = Field(description="None for the vendor's subscriptions (every organization).")
    url: str
    description: str
    events: list[str]
    created_at: dt.datetime
    paused_at: dt.datetime | None = Field(description="Set while deliveries are paused.")
    pause_reason: str | None = Field(description="`failing` (paused after failed deliveries) or `by_hand`.")


class WebhookCreated(Webhook):
    secret: str = Field(description="The signing secret (`whsec_…`), shown this once.")


class WebhookList(BaseModel):
    items: list[Webhook]


def webhook_out(subscription: Any, model: type[Webhook] = Webhook, **extra: Any) -> Webhook:
    return model(
        id=subscription.id,
        organization_id=subscription.organization_id,
        url=subscription.url,
        description=subscription.description,
        events=list(subscription.events),
        created_at=subscription.created_at,
        paused_at=subscription.paused_at,
        pause_reason=subscription.pause_reason,
        **extra,
    )
