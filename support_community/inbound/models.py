"""Mail that arrived for the community, kept as it came before anything is done with it."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Enum, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime, utcnow
from support_community.extensions import Base


class InboundState(enum.StrEnum):
    PENDING = "pending"  # stored, not handled yet (or to be tried again at ``next_attempt_at``)
    DONE = "done"  # handled: became a message on its case, was answered, or was ignored (``outcome`` says which)
    FAILED = "failed"  # can never be handled (unreadable, or out of attempts): kept for agents to look at


class InboundMessage(Base):
    """One received mail: its raw bytes first, then what became of it.

    A message is stored (and committed) before the mailbox may forget it, so it survives
    any failure after; ``fingerprint`` (the SHA-256 of the bytes) keeps a message that
    is fetched twice (stored, then the mailbox could not delete it) from being handled twice.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # imap, smtp
    envelope_sender: Mapped[str | None] = mapped_column(String(320))
    envelope_recipients: Mapped[str | None] = mapped_column(Text)  # comma-separated, as the SMTP server was told
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[InboundState] = mapped_column(
        Enum(InboundState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=InboundState.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
