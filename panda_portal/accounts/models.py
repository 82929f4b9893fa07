from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from panda_portal.extensions import Base
from shared.database import UTCDateTime, new_uuid, utcnow
from shared.sessions import WebSessionMixin


def normalize_email(address: str) -> str:
    """One account per address, compared case-insensitively."""
    return address.strip().lower()


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    # Stored lower-cased (normalize_email); unique in the database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="en")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    is_support_agent: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None and self.is_verified

    def __repr__(self) -> str:
        return f"<Account {self.email}>"


class WebSession(WebSessionMixin, Base):
    """A browser's signed-in session at Panda (also the OpenID ``sid``)."""

    __tablename__ = "web_sessions"
