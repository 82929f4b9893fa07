"""The API's own table: answers of POST requests sent with an ``Idempotency-Key`` (``shared.api.idempotency``)."""

from __future__ import annotations

from shared.api import IdempotentRequestMixin
from support_community.extensions import Base


class IdempotentRequest(IdempotentRequestMixin, Base):
    __tablename__ = "api_idempotent_requests"
