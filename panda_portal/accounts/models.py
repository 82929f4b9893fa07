from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panda_portal.extensions import Base
from shared.database import UTCDateTime, new_uuid, utcnow
from shared.sessions import WebSessionMixin


def normalize_email(address: str) -> str:
    """One account per address, compared case-insensitively."""
    return address.strip().lower()


# Deliberately loose: the confirmation mail is the real test of an address.
# Characters that would split or quote the address in a mail header are refused.
_EMAIL_SHAPE = re.compile(r'^[^@\s,;<>()\[\]\\:"]{1,64}@[^@\s,;<>()\[\]\\:".]+(\.[^@\s,;<>()\[\]\\:".]+)+$')


def is_plausible_email(address: str) -> bool:
    return len(address) <= 254 and _EMAIL_SHAPE.fullmatch(address) is not None


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


class AccountToken(Base):
    """A single-use, expiring link sent by mail (verify an address, reset a password).

    Only the SHA-256 of the random token is stored: a copy of this table gives no
    usable link. ``used_at`` makes it single-use; ``next_path`` carries where the
    person was going (an OpenID client's authorize request) across the mail.
    """

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_account_purpose", "account_id", "purpose"),)

    VERIFY = "verify"
    RESET = "reset"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    next_path: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<AccountToken {self.purpose} for {self.account_id}>"


class WebSession(WebSessionMixin, Base):
    """A browser's signed-in session at Panda (also the OpenID ``sid``)."""

    __tablename__ = "web_sessions"


class KnownBrowser(Base):
    """A browser the person has signed in from before, known by a long-lived random cookie.

    Only the cookie's SHA-256 is stored. A sign-in from a browser not in this table (for
    an account that has signed in before) is announced by mail.
    """

    __tablename__ = "known_browsers"
    __table_args__ = (UniqueConstraint("account_id", "browser_hash"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailChange(Base):
    """A change of address: confirmed from the new address, undoable from the old one for 7 days.

    Both links are single-use; only their SHA-256 is stored.
    """

    __tablename__ = "email_changes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    old_email: Mapped[str] = mapped_column(String(254))
    new_email: Mapped[str] = mapped_column(String(254))
    confirm_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirm_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    undo_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    undo_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(lazy="joined")
