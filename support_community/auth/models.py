from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime
from shared.sessions import WebSessionMixin
from support_community.extensions import Base

__all__ = ["WebSession", "SeenLogoutToken", "PersonAccess", "PersonOrganization", "OrganizationChoice"]


class WebSession(WebSessionMixin, Base):
    """A browser's session at the community; ``subject`` is Panda's ``sub``, ``sid`` Panda's session."""

    __tablename__ = "web_sessions"


class SeenLogoutToken(Base):
    """A back-channel token (logout token or access event) already accepted, kept until it would be refused
    as too old anyway.

    The primary key makes a replay fail in every process, also when two copies
    arrive at the same moment.
    """

    __tablename__ = "seen_logout_tokens"

    # SHA-256 of issuer and ``jti``: fixed length whatever the issuer sends.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class PersonAccess(Base):
    """What Panda last said a person may do here: their ``roles``, and which version of their list is kept.

    The organizations themselves are ``PersonOrganization`` rows. Every request and
    every mail consults these two tables (``auth.access``), never a list kept in a
    browser's session, so a change Panda announces reaches every session of the
    person, and their mails, at once.
    """

    __tablename__ = "person_access"

    sub: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Panda's ``orgs_version`` of the list kept; None when never read (only withdrawals known).
    orgs_version: Mapped[int | None] = mapped_column(BigInteger)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    # Organizations Panda holds back from the list, and why: ``[{"id", "name", "reason"}]``
    # (``reason`` "two_step_required": the organization requires two-step verification
    # the person has not set up). Shown to explain a missing organization; grants nothing.
    held_back: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Panda said the list changed and it has not been read since: what was withdrawn is
    # gone already, what was granted waits for the read (at least ``pending_version``).
    stale_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pending_version: Mapped[int | None] = mapped_column(BigInteger)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PersonOrganization(Base):
    """One organization a person may act for here, in the shape of Panda's ``orgs`` claim."""

    __tablename__ = "person_organizations"
    __table_args__ = (
        # Who may act for an organization (mails about its cases, followers).
        Index("ix_person_organizations_organization", "organization_id", "sub"),
        # The person's list by name (switcher pages, the new-case picker).
        Index("ix_person_organizations_sub_name", "sub", "name"),
    )

    sub: Mapped[str] = mapped_column(ForeignKey("person_access.sub", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    enterprise_number: Mapped[str] = mapped_column(String(32), default="")
    customer_number: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(16), default="member")
    # The enterprise number's ten digits ("0403170701"), so any spelling of it finds the organization.
    enterprise_digits: Mapped[str] = mapped_column(String(16), default="")


class OrganizationChoice(Base):
    """What a person did with an organization here: pinned it as a favourite, last chose it.

    Kept apart from ``PersonOrganization`` (which is replaced whenever Panda's list is
    read again), so favourites and recent choices survive a new list; an organization
    that left the list is simply not shown (the lists join the two tables).
    """

    __tablename__ = "organization_choices"
    __table_args__ = (Index("ix_organization_choices_sub_used", "sub", "last_used_at"),)

    sub: Mapped[str] = mapped_column(ForeignKey("person_access.sub", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    favourite: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
