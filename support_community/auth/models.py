from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime
from shared.sessions import WebSessionMixin
from support_community.extensions import Base

__all__ = ["WebSession", "SeenLogoutToken"]


class WebSession(WebSessionMixin, Base):
    """A browser's session at the community; ``subject`` is Panda's ``sub``, ``sid`` Panda's session."""

    __tablename__ = "web_sessions"


class SeenLogoutToken(Base):
    """A back-channel logout token already accepted, kept until it would be refused as too old anyway.

    The primary key makes a replay fail in every process, also when two copies
    arrive at the same moment.
    """

    __tablename__ = "seen_logout_tokens"

    # SHA-256 of issuer and ``jti``: fixed length whatever the issuer sends.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
