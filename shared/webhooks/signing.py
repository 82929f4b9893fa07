"""Signing deliveries as the Standard Webhooks specification says (``standardwebhooks``).

A subscription's secret is ``whsec_`` followed by the base64 of 24 random bytes. The
signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; its HMAC-SHA256, in
base64, is sent as ``v1,<signature>`` in ``webhook-signature``. After a rotation the
previous secret stays valid for a while: both signatures are sent, separated by a
space, and a receiver accepts the delivery when either matches.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24

__all__ = ["SECRET_PREFIX", "WebhookVerificationError", "headers_for", "new_secret", "signature", "verify"]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signature(secrets_in_use: Iterable[str], *, message_id: str, timestamp: dt.datetime, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,…`` per secret, separated by spaces."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_in_use)


def headers_for(
    secrets_in_use: Iterable[str], *, message_id: str, timestamp: dt.datetime, body: bytes
) -> dict[str, str]:
    """The three headers of a delivery sent at ``timestamp``."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature(secrets_in_use, message_id=message_id, timestamp=timestamp, body=body),
    }


def verify(secret: str, body: bytes, headers: Mapping[str, str]) -> Any:
    """What a receiver does (the specification's algorithm): the parsed payload, or ``WebhookVerificationError``."""
    return Webhook(secret).verify(body, dict(headers))
