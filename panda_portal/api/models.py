"""The API's own table: answers kept for ``Idempotency-Key`` (``shared.api.idempotency``)."""

from __future__ import annotations

from panda_portal.extensions import Base
from shared.api import IdempotentRequestMixin


class IdempotentRequest(IdempotentRequestMixin, Base):
    __tablename__ = "api_idempotent_requests"
