"""Panda's webhook tables (columns: ``shared.webhooks.models``)."""

from __future__ import annotations

from panda_portal.extensions import Base
from shared.webhooks.models import WebhookAttemptMixin, WebhookDeliveryMixin, WebhookSubscriptionMixin


class WebhookSubscription(WebhookSubscriptionMixin, Base):
    __tablename__ = "webhook_subscriptions"


class WebhookDelivery(WebhookDeliveryMixin, Base):
    __tablename__ = "webhook_deliveries"


class WebhookAttempt(WebhookAttemptMixin, Base):
    __tablename__ = "webhook_attempts"
