"""Signatures as the Standard Webhooks specification defines them, checked against its published vector."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pytest

from shared.webhooks.signing import WebhookVerificationError, headers_for, new_secret, signature, verify

# The specification's test vector (standard-webhooks, libraries' test suites).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = dt.datetime.fromtimestamp(1614265330, tz=dt.UTC)
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def spec_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """The specification's algorithm written out: HMAC-SHA256 of id.timestamp.body with the decoded secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_the_published_test_vector_is_signed_as_the_specification_says():
    assert signature([VECTOR_SECRET], message_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY) == (
        VECTOR_SIGNATURE
    )
    assert spec_signature(VECTOR_SECRET, VECTOR_ID, "1614265330", VECTOR_BODY) == VECTOR_SIGNATURE


def test_a_new_secret_is_whsec_and_24_random_bytes():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert new_secret() != secret


def test_headers_verify_with_the_receivers_algorithm_and_a_changed_body_does_not():
    secret = new_secret()
    now = dt.datetime.now(dt.UTC)
    body = '{"type":"case.created","data":{"subject":"Facture électronique"}}'.encode()
    headers = headers_for([secret], message_id="msg_1", timestamp=now, body=body)
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["webhook-signature"] == spec_signature(secret, "msg_1", headers["webhook-timestamp"], body)
    assert verify(secret, body, headers)["type"] == "case.created"
    with pytest.raises(WebhookVerificationError):
        verify(secret, body.replace(b"created", b"deleted"), headers)
    with pytest.raises(WebhookVerificationError):
        verify(new_secret(), body, headers)


def test_during_a_rotation_both_secrets_verify_the_same_delivery():
    old, new = new_secret(), new_secret()
    body = b'{"type":"webhook.test"}'
    headers = headers_for([new, old], message_id="msg_2", timestamp=dt.datetime.now(dt.UTC), body=body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(new, body, headers) and verify(old, body, headers)


def test_a_replayed_delivery_older_than_five_minutes_is_refused_by_the_receiver():
    secret = new_secret()
    body = b"{}"
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)
    with pytest.raises(WebhookVerificationError):
        verify(secret, body, headers_for([secret], message_id="msg_3", timestamp=old, body=body))
