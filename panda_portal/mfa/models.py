"""The second factors of an account: an authenticator app, recovery codes, passkeys, and browsers that skip the code.

An authenticator app (``TotpAuthenticator``, one per account) holds the shared
secret in the clear, like the signing keys: the database is what is protected. It is
shown once, while it is set up, and never again (see ``docs/two-step-verification.md``).
``last_used_step`` is the 30-second time step of the last code accepted: a code of
that step or an earlier one is refused, so each code opens the account once.

Recovery codes and remembered browsers keep only the SHA-256 of a random value of 80
bits or more, like the links mailed by ``accounts``: a copy of the table gives nothing
usable, and a slow hash would protect no more against guesses that cannot succeed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from panda_portal.extensions import Base
from shared.database import UTCDateTime, new_uuid, utcnow


class TotpAuthenticator(Base):
    __tablename__ = "mfa_totp_authenticators"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(Base):
    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (Index("ix_mfa_recovery_codes_account_id", "account_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RememberedBrowser(Base):
    """A browser where the second factor was given with "remember this browser" ticked."""

    __tablename__ = "mfa_remembered_browsers"
    __table_args__ = (Index("ix_mfa_remembered_browsers_account_id", "account_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Passkey(Base):
    """A passkey (WebAuthn credential) of an account, used as its second factor.

    ``credential_id`` is the authenticator's id for it (base64url); ``sign_count`` the last
    signature counter seen, so a cloned authenticator that reuses a counter is refused.
    """

    __tablename__ = "mfa_passkeys"
    __table_args__ = (Index("ix_mfa_passkeys_account_id", "account_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
