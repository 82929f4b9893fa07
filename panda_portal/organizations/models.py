"""Customer register, organizations, memberships, invitations, applications and grants."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panda_portal.accounts.models import Account
from panda_portal.extensions import Base
from panda_portal.organizations.enterprise_numbers import format_enterprise_number
from shared.database import UTCDateTime, new_uuid, utcnow


class CustomerRecord(Base):
    """One row of the vendor's customer register (imported from CSV)."""

    __tablename__ = "customer_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_number: Mapped[str] = mapped_column(String(32), unique=True)
    enterprise_number: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(300))
    # Where the customer hears that someone added their organization to Panda, and in which language.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(5))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    # One organization per customer of the vendor.
    customer_number: Mapped[str] = mapped_column(String(32), unique=True)
    enterprise_number: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    # Set by its administrators: only members with two-step verification may act for it in
    # client applications (``services.two_step_requirement``).
    requires_two_step: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number)

    def __repr__(self) -> str:
        return f"<Organization {self.name} {self.customer_number}>"


class Role(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"  # a request to join, waiting for an administrator
    ACTIVE = "active"
    REJECTED = "rejected"
    REMOVED = "removed"  # removed by an administrator, left, or request withdrawn


class Membership(Base):
    """An account's place in an organization; a pending one is a request to join.

    One row per (organization, account): a later request reuses it, and the audit
    log keeps the history.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "account_id"),
        # The switcher and the orgs claim: an account's active memberships.
        Index("ix_memberships_account_status", "account_id", "status"),
        # Members lists and "every active administrator".
        Index("ix_memberships_organization_status_role", "organization_id", "status", "role"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    status: Mapped[MembershipStatus] = mapped_column(
        Enum(MembershipStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    request_message: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    decision_message: Mapped[str | None] = mapped_column(Text)
    active_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A favourite of the member's switcher (per person: the membership is the person's place there).
    pinned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    account: Mapped[Account] = relationship(foreign_keys=[account_id], lazy="joined", innerjoin=True)
    grants: Mapped[list[ApplicationGrant]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def granted_keys(self) -> set[str]:
        return {grant.application_key for grant in self.grants}


class Application(Base):
    """An application whose access is granted per membership (data, not code)."""

    __tablename__ = "applications"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_nl: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_nl: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The application's public base URL (an organization's page there is ``{url}/orgs/<id>/``);
    # None when Panda does not know where it runs.
    url: Mapped[str | None] = mapped_column(String(300))

    def organization_url(self, organization_id: uuid.UUID) -> str | None:
        return f"{self.url.rstrip('/')}/orgs/{organization_id}/" if self.url else None

    def name(self, language: str) -> str:
        return getattr(self, f"name_{language}", None) or self.name_en

    def description(self, language: str) -> str:
        return getattr(self, f"description_{language}", None) or self.description_en


class ApplicationGrant(Base):
    __tablename__ = "application_grants"
    __table_args__ = (Index("ix_application_grants_application_key", "application_key", "membership_id"),)

    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    application_key: Mapped[str] = mapped_column(ForeignKey("applications.key", ondelete="CASCADE"), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))

    membership: Mapped[Membership] = relationship(back_populates="grants")


class Invitation(Base):
    """An invitation by e-mail to join as member or administrator, with chosen accesses."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_organization_email", "organization_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    application_keys: Mapped[list] = mapped_column(JSON, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Why it was withdrawn when not by hand: "inviter_not_administrator" (its sender stopped administering).
    revoked_reason: Mapped[str | None] = mapped_column(String(40))

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    invited_by: Mapped[Account | None] = relationship(foreign_keys=[invited_by_id], lazy="joined")

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or utcnow()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class AccessAsk(Base):
    """A member asked the administrators for an application's access (one row per membership and application).

    ``asked_at`` is the last time the administrators were mailed: asking again within a
    day sends nothing new.
    """

    __tablename__ = "access_asks"

    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    application_key: Mapped[str] = mapped_column(ForeignKey("applications.key", ondelete="CASCADE"), primary_key=True)
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BulkAddStatus(enum.StrEnum):
    PREVIEW = "preview"  # looked up, waiting for the person's confirmation
    QUEUED = "queued"  # confirmed: the worker adds the rows
    DONE = "done"


class BulkRowOutcome(enum.StrEnum):
    NEW = "new"  # not in Panda yet: the person becomes its administrator
    JOIN = "join"  # already in Panda: a request to join is sent
    MEMBER = "member"  # the person is already a member
    PENDING = "pending"  # the person's request to join is already waiting
    NOT_IN_REGISTER = "not_in_register"
    DUPLICATE = "duplicate"
    NOT_CHECKED = "not_checked"  # too many failed look-ups for this company: not looked up
    # Outcomes of the work itself
    CREATED = "created"
    REQUESTED = "requested"


class BulkAddBatch(Base):
    """Clients added in bulk from one file or paste: looked up, confirmed, then added by the worker."""

    __tablename__ = "bulk_add_batches"
    __table_args__ = (Index("ix_bulk_add_batches_account_created", "account_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status: Mapped[BulkAddStatus] = mapped_column(
        Enum(BulkAddStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    # Rows the worker has to do (new and join), and how many of those it has done.
    work_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(lazy="joined", innerjoin=True)


class BulkAddRow(Base):
    """One line of a bulk add: what the look-up found, and what the worker did."""

    __tablename__ = "bulk_add_rows"
    __table_args__ = (
        UniqueConstraint("batch_id", "line"),
        # The worker's query: the rows of a batch still to do, in line order.
        Index("ix_bulk_add_rows_batch_done", "batch_id", "done", "line"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bulk_add_batches.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    # As typed (cut to the column size); the cleaned numbers when they could be read.
    customer_number: Mapped[str] = mapped_column(String(64))
    enterprise_number: Mapped[str] = mapped_column(String(64))
    preview: Mapped[BulkRowOutcome] = mapped_column(
        Enum(BulkRowOutcome, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    reason: Mapped[str | None] = mapped_column(String(300))
    organization_name: Mapped[str | None] = mapped_column(String(300))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    done: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[BulkRowOutcome | None] = mapped_column(
        Enum(BulkRowOutcome, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    membership_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
