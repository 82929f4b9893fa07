"""The community's webhook tables (columns: ``shared.webhooks.models``)."""

from __future__ import annotations

from shared.webhooks.models import WebhookAttemptMixin, WebhookDeliveryMixin, WebhookSubscriptionMixin
from support_community.extensions import Base


class WebhookSubscription(WebhookSubscriptionMixin, Base):
    __tablename__ = "webhook_subscriptions"


class WebhookDelivery(WebhookDeliveryMixin, Base):
    __tablename__ = "webhook_deliveries"


class WebhookAttempt(WebhookAttemptMixin, Base):
    __tablename__ = "webhook_attempts"
