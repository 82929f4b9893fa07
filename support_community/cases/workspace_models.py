"""Tables of the agents' daily work around cases: canned replies, who has a case open, customers' ratings.

Kept apart from ``models.py`` (the cases themselves); ``support_community.models`` imports both.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import UTCDateTime, new_uuid, utcnow
from support_community.cases.models import Person
from support_community.extensions import Base

LANGUAGES = ("en", "nl", "fr")


class CannedReply(Base):
    """A reply the team keeps to insert into a case: a title, a text per language, optionally a status to set."""

    __tablename__ = "canned_replies"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    title: Mapped[str] = mapped_column(String(120))
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_nl: Mapped[str] = mapped_column(Text, default="")
    body_fr: Mapped[str] = mapped_column(Text, default="")
    # A status value (``Status``) the reply moves the case to when inserted, or none.
    set_status: Mapped[str | None] = mapped_column(String(32))
    created_by_sub: Mapped[str] = mapped_column(ForeignKey("people.sub"))
    updated_by_sub: Mapped[str] = mapped_column(ForeignKey("people.sub"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    updated_by: Mapped[Person] = relationship(foreign_keys=[updated_by_sub], lazy="joined", innerjoin=True)

    def body(self, language: str) -> str:
        return getattr(self, f"body_{language}", "") if language in LANGUAGES else ""

    @property
    def languages(self) -> list[str]:
        return [language for language in LANGUAGES if self.body(language)]


class CasePresence(Base):
    """An agent had a case's page open (``viewed_at``), and was writing a reply (``replying_at``)."""

    __tablename__ = "case_presence"
    __table_args__ = (Index("ix_case_presence_case_seen", "case_id", "viewed_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    agent_sub: Mapped[str] = mapped_column(ForeignKey("people.sub", ondelete="CASCADE"), primary_key=True)
    viewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    replying_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    agent: Mapped[Person] = relationship(lazy="joined", innerjoin=True)


class CaseRating(Base):
    """How the customer found the handling of a solved case: good or bad, with an optional comment."""

    __tablename__ = "case_ratings"
    __table_args__ = (CheckConstraint("rating IN ('good', 'bad')", name="rating"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by_sub: Mapped[str] = mapped_column(ForeignKey("people.sub"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    rated_by: Mapped[Person] = relationship(lazy="joined", innerjoin=True)
