"""Cases handled in an organization's name, their conversation, attachments and history, and the people.

The community has no table of organizations: an organization is the ``id`` the
token's ``orgs`` claim gives, and a case keeps that id (and the name as it was
when the case was opened, for mails and agents' lists).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from flask import has_app_context
from flask_babel import gettext
from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    case,
    event,
    func,
    literal,
    literal_column,
    text,
)
from sqlalchemy.dialects import postgresql  # noqa: F401  (registers to_tsvector and friends)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, QueryableAttribute, mapped_column, relationship

from shared.database import UTCDateTime, new_uuid, utcnow
from support_community.extensions import Base


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Person(Base):
    """Someone as the community knows them from Panda's tokens (refreshed at each sign-in)."""

    __tablename__ = "people"

    sub: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Read and written as ``name`` (below): an erased person's stored name is never shown.
    stored_name: Mapped[str] = mapped_column("name", String(200))
    email: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    is_agent: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Mails about cases the person only follows (not opened, not assigned).
    notify_followed: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Their Panda account was deleted (``auth.personal_data.erase``): shown as a former member.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @hybrid_property
    def name(self) -> str:
        """The person's name, or "Former member" (in the reader's language) once they were erased."""
        if self.erased_at is not None:
            return _former_member()
        return self.stored_name

    @name.inplace.setter
    def _name_setter(self, value: str) -> None:
        self.stored_name = value

    @name.inplace.expression
    @classmethod
    def _name_expression(cls) -> Any:
        # In SQL too (lists, exports, sorting): built for each statement, so the words are the reader's,
        # sent as a bound value (cached statements stay shared between languages).
        return case((cls.erased_at.is_not(None), literal(_former_member(), String)), else_=cls.stored_name)

    @name.inplace.update_expression
    @classmethod
    def _name_update(cls, value: Any) -> list[tuple[Any, Any]]:
        # ``insert(Person).values(name=…)`` and ``update(Person).values(name=…)`` write the stored column.
        return [(cls.stored_name, value)]


def _former_member() -> str:
    """ "Former member" in the reader's language (in English outside a request or an application)."""
    if not has_app_context():
        return "Former member"
    return gettext("Former member")


class QueuePreference(Base):
    """The queue filter an agent chose last: the queue opens on it again, also after signing out."""

    __tablename__ = "agent_queue_preferences"

    agent_sub: Mapped[str] = mapped_column(ForeignKey("people.sub", ondelete="CASCADE"), primary_key=True)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Product(Base):
    """A product cases are about: configurable data with names in three languages."""

    __tablename__ = "products"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_nl: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, language: str) -> str:
        return getattr(self, f"name_{language}", None) or self.name_en


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("product_key", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_key: Mapped[str] = mapped_column(ForeignKey("products.key", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(120))
    name_nl: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, language: str) -> str:
        return getattr(self, f"name_{language}", None) or self.name_en


class Severity(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class Status(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    SOLVED = "solved"
    CLOSED = "closed"


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER)


class CaseCounter(Base):
    """The last case number given out per year (locked while a number is taken)."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # The organization's list, newest activity first, optionally per status.
        Index("ix_cases_org_activity", "organization_id", "last_activity_at"),
        # Covering (with the other sort keys and the id): "All my clients" picks a page of an
        # accountant's tens of thousands of cases from this index alone.
        Index(
            "ix_cases_org_status_activity",
            "organization_id",
            "status",
            "last_activity_at",
            "created_at",
            "severity",
            "id",
        ),
        # By opening date, the id as tie-breaker and the status beside them: "All my clients" merges
        # each organization's first cases from it (PostgreSQL, ``listing._merged_by_organization``).
        Index("ix_cases_org_created", "organization_id", "created_at", "id", "status"),
        # "All my clients" by last activity (the page everyone lands on): walked newest first and
        # filtered by status and organization from the index alone, it stops after one page where
        # the person's organizations hold many of the cases, instead of sorting all of them.
        # PostgreSQL's planner chooses it when they do (SQLite's keeps the index above).
        Index("ix_cases_activity", "last_activity_at", "id", "status", "organization_id"),
        # The list's "opened by" choices: who opened cases in this organization.
        Index("ix_cases_org_opener", "organization_id", "opened_by_sub"),
        # The agents' queue.
        Index("ix_cases_status_activity", "status", "last_activity_at"),
        Index("ix_cases_assignee_status_activity", "assignee_sub", "status", "last_activity_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # CS-2026-000123
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    organization_name: Mapped[str] = mapped_column(String(300))
    product_key: Mapped[str] = mapped_column(ForeignKey("products.key"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    severity: Mapped[Severity] = mapped_column(_enum(Severity))
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.NEW)
    subject: Mapped[str] = mapped_column(String(200))
    opened_by_sub: Mapped[str] = mapped_column(ForeignKey("people.sub"), index=True)
    assignee_sub: Mapped[str | None] = mapped_column(ForeignKey("people.sub"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    solved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Service levels (``services/sla.py`` keeps them): what is due when, in business hours.
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    awaiting_reply_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the unanswered customer message
    reply_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sla_paused_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # waiting for the customer
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # ix_cases_queue_due

    opened_by: Mapped[Person] = relationship(foreign_keys=[opened_by_sub], lazy="joined", innerjoin=True)
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_sub], lazy="joined")
    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
    category: Mapped[Category | None] = relationship(lazy="joined")


# The sorts by severity (highest first) and by status (the order of the work) rank a computed
# value. Written the same in the queries (``services.listing.ordered``) and in these indexes, it
# lets both databases walk an index in the list's order, the id as tie-breaker, and stop after a
# page instead of ranking every case of an accountant (status and organization ride along, so the
# filters need no look-up of the row).
def _rank(column: str, ranks: tuple[tuple[str, int], ...], otherwise: int) -> ColumnElement[int]:
    # Laid out as PostgreSQL prints an index expression back, so that comparing the models with a
    # migrated database (autogenerate) finds no difference.
    whens = "".join(f"\n    WHEN '{value}' THEN {rank}" for value, rank in ranks)
    return literal_column(f"(\nCASE {column}{whens}\n    ELSE {otherwise}\nEND)")


SEVERITY_RANK = _rank("severity", (("critical", 4), ("high", 3), ("normal", 2)), 1)
STATUS_RANK = _rank("status", (("new", 1), ("in_progress", 2), ("waiting_for_customer", 3), ("solved", 4)), 5)
Index("ix_cases_severity_rank", SEVERITY_RANK, Case.id, Case.status, Case.organization_id)
Index("ix_cases_status_rank", STATUS_RANK, Case.id, Case.organization_id)
Index("ix_cases_created", Case.created_at, Case.id, Case.status, Case.organization_id)
# The agents' reports: the cases opened in a period, with what the report groups them by (read from
# the index alone), and those solved, or with a first response due, in a period.
Index(
    "ix_cases_report_opened",
    Case.created_at,
    Case.severity,
    Case.assignee_sub,
    Case.product_key,
    Case.organization_id,
    Case.first_responded_at,
)
Index("ix_cases_solved", Case.solved_at)
Index("ix_cases_first_response_due", Case.first_response_due_at)
# The agents' queue in its orders (latest activity first; highest severity first), the status and
# the assignee beside them: a page of "unassigned and mine" or "all open" is read from the index.
Index("ix_cases_queue_activity", Case.last_activity_at, Case.id, Case.status, Case.assignee_sub)
Index("ix_cases_queue_severity", SEVERITY_RANK, Case.last_activity_at, Case.id, Case.status, Case.assignee_sub)
# One product's cases per status, newest activity first: a product with few cases is found from it
# (counted, listed) instead of by reading every case; a product with many, walking the queue's order.
Index("ix_cases_queue_product", Case.product_key, Case.status, Case.last_activity_at)
# Soonest due first (the cases due soon, the breaching view), then those with nothing due (NULL) by
# latest activity: the queue's due order in the index's own, for the cases with and without a due time.
Index(
    "ix_cases_queue_due",
    Case.next_due_at,
    Case.last_activity_at.desc(),
    Case.id,
    Case.status,
    Case.assignee_sub,
)


class CaseStatusCount(Base):
    """How many cases of an organization have a status: the lists' totals read these, not the cases.

    Kept by triggers on ``cases`` (``STATUS_COUNT_TRIGGERS``), in the transaction that inserts,
    deletes or changes the status or organization of a case, however it is written (the
    services, a bulk insert, SQL by hand): ``total = total + 1`` on the row itself, so two
    transactions at once each add their own. ``community cases recount`` rebuilds them.
    """

    __tablename__ = "case_status_counts"

    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[Status] = mapped_column(_enum(Status), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)


class CaseQueueCount(Base):
    """How many cases each agent (``""``: nobody) has per status: the agents' queue counts its views from these.

    Kept by triggers on ``cases`` (``QUEUE_COUNT_TRIGGERS``) as ``case_status_counts`` is, in the
    transaction that inserts, deletes or changes the status or assignee of a case.
    ``queue.recount`` rebuilds them.
    """

    __tablename__ = "case_queue_counts"

    assignee_sub: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" for unassigned
    status: Mapped[Status] = mapped_column(_enum(Status), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)


class MessageKind(enum.StrEnum):
    DESCRIPTION = "description"  # the text the case was opened with
    REPLY = "reply"  # public: customer or agent
    INTERNAL_NOTE = "internal_note"  # agents only: never shown to customers or mailed to them


class CaseMessage(Base):
    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_case_time", "case_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_sub: Mapped[str] = mapped_column(ForeignKey("people.sub"))
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind))
    body: Mapped[str] = mapped_column(Text)
    by_agent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Person] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_internal(self) -> bool:
        return self.kind == MessageKind.INTERNAL_NOTE


class Attachment(Base):
    """A file stored outside the web root under a random name (``storage_key``)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case", "case_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_messages.id", ondelete="SET NULL"))
    uploaded_by_sub: Mapped[str] = mapped_column(ForeignKey("people.sub"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    # An attachment of an internal note is as internal as the note.
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseFollower(Base):
    __tablename__ = "case_followers"
    __table_args__ = (Index("ix_case_followers_person", "person_sub"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    person_sub: Mapped[str] = mapped_column(ForeignKey("people.sub", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(Base):
    """The history of a case: every change of status, assignee or severity, who and when."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_time", "case_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    actor_sub: Mapped[str] = mapped_column(ForeignKey("people.sub"))
    field: Mapped[str] = mapped_column(String(32))  # status | assignee | severity | opened
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[Person] = relationship(lazy="joined", innerjoin=True)


# -- full-text search (PostgreSQL) ------------------------------------------------------------
# The 'simple' configuration: no stemming, so Dutch, French and English text, product
# names and numbers are all found as typed. A query must use ``search_vector`` too, so
# its expression is the indexed one.
SEARCH_CONFIGURATION = text("'simple'::regconfig")


def search_vector(column: ColumnElement[str] | QueryableAttribute[str]) -> ColumnElement[Any]:
    return func.to_tsvector(SEARCH_CONFIGURATION, column)


# The lists' searches read each case's search document instead (``search_index``).


# -- the counts per organization and status, kept by the database ------------------------------
# Triggers rather than Python: they see the row as the database has it (a status changed by a
# transaction that committed a moment ago included), and every way of writing a case, bulk
# inserts too. An UPDATE touches the two counters in the order of (organization, status), so
# two opposite changes at once wait for each other instead of deadlocking. The migration
# that adds them (``d2f7a8c41e90``) holds a copy of this SQL, as migrations do.
STATUS_COUNT_TRIGGERS: dict[str, tuple[str, ...]] = {
    "postgresql": (
        """
        CREATE OR REPLACE FUNCTION case_status_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
                    AND (NEW.organization_id, NEW.status) < (OLD.organization_id, OLD.status)) THEN
                INSERT INTO case_status_counts AS counted (organization_id, status, total)
                VALUES (NEW.organization_id, NEW.status, 1)
                ON CONFLICT (organization_id, status) DO UPDATE SET total = counted.total + 1;
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE case_status_counts SET total = total - 1
                WHERE organization_id = OLD.organization_id AND status = OLD.status;
            END IF;
            IF TG_OP = 'UPDATE' AND (NEW.organization_id, NEW.status) > (OLD.organization_id, OLD.status) THEN
                INSERT INTO case_status_counts AS counted (organization_id, status, total)
                VALUES (NEW.organization_id, NEW.status, 1)
                ON CONFLICT (organization_id, status) DO UPDATE SET total = counted.total + 1;
            END IF;
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER case_status_counts_on_insert AFTER INSERT ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_status_counts_follow()",
        "CREATE TRIGGER case_status_counts_on_update AFTER UPDATE OF status, organization_id ON cases"
        " FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status"
        " OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)"
        " EXECUTE FUNCTION case_status_counts_follow()",
        "CREATE TRIGGER case_status_counts_on_delete AFTER DELETE ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_status_counts_follow()",
    ),
    # SQLite has one writer at a time: the order of the two statements cannot matter there.
    "sqlite": (
        """
        CREATE TRIGGER case_status_counts_on_insert AFTER INSERT ON cases BEGIN
            INSERT INTO case_status_counts (organization_id, status, total)
            VALUES (NEW.organization_id, NEW.status, 1)
            ON CONFLICT (organization_id, status) DO UPDATE SET total = total + 1;
        END
        """,
        """
        CREATE TRIGGER case_status_counts_on_update AFTER UPDATE OF status, organization_id ON cases
        WHEN OLD.status IS NOT NEW.status OR OLD.organization_id IS NOT NEW.organization_id BEGIN
            UPDATE case_status_counts SET total = total - 1
            WHERE organization_id = OLD.organization_id AND status = OLD.status;
            INSERT INTO case_status_counts (organization_id, status, total)
            VALUES (NEW.organization_id, NEW.status, 1)
            ON CONFLICT (organization_id, status) DO UPDATE SET total = total + 1;
        END
        """,
        """
        CREATE TRIGGER case_status_counts_on_delete AFTER DELETE ON cases BEGIN
            UPDATE case_status_counts SET total = total - 1
            WHERE organization_id = OLD.organization_id AND status = OLD.status;
        END
        """,
    ),
}

# The counts per assignee and status of the agents' queue, kept the same way (the migration that adds
# them, ``b5e2d7c91a4f``, holds a copy). An UPDATE touches its two counters in the order of
# (assignee, status), so opposite changes at once wait for each other instead of deadlocking.
QUEUE_COUNT_TRIGGERS: dict[str, tuple[str, ...]] = {
    "postgresql": (
        """
        CREATE OR REPLACE FUNCTION case_queue_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            old_key text;
            new_key text;
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                old_key := coalesce(OLD.assignee_sub, '');
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                new_key := coalesce(NEW.assignee_sub, '');
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (new_key, NEW.status::text) < (old_key, OLD.status::text)) THEN
                INSERT INTO case_queue_counts AS counted (assignee_sub, status, total)
                VALUES (new_key, NEW.status, 1)
                ON CONFLICT (assignee_sub, status) DO UPDATE SET total = counted.total + 1;
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE case_queue_counts SET total = total - 1 WHERE assignee_sub = old_key AND status = OLD.status;
            END IF;
            IF TG_OP = 'UPDATE' AND (new_key, NEW.status::text) > (old_key, OLD.status::text) THEN
                INSERT INTO case_queue_counts AS counted (assignee_sub, status, total)
                VALUES (new_key, NEW.status, 1)
                ON CONFLICT (assignee_sub, status) DO UPDATE SET total = counted.total + 1;
            END IF;
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER case_queue_counts_on_insert AFTER INSERT ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_queue_counts_follow()",
        "CREATE TRIGGER case_queue_counts_on_update AFTER UPDATE OF status, assignee_sub ON cases"
        " FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status"
        " OR OLD.assignee_sub IS DISTINCT FROM NEW.assignee_sub)"
        " EXECUTE FUNCTION case_queue_counts_follow()",
        "CREATE TRIGGER case_queue_counts_on_delete AFTER DELETE ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_queue_counts_follow()",
    ),
    "sqlite": (
        """
        CREATE TRIGGER case_queue_counts_on_insert AFTER INSERT ON cases BEGIN
            INSERT INTO case_queue_counts (assignee_sub, status, total)
            VALUES (coalesce(NEW.assignee_sub, ''), NEW.status, 1)
            ON CONFLICT (assignee_sub, status) DO UPDATE SET total = total + 1;
        END
        """,
        """
        CREATE TRIGGER case_queue_counts_on_update AFTER UPDATE OF status, assignee_sub ON cases
        WHEN OLD.status IS NOT NEW.status OR OLD.assignee_sub IS NOT NEW.assignee_sub BEGIN
            UPDATE case_queue_counts SET total = total - 1
            WHERE assignee_sub = coalesce(OLD.assignee_sub, '') AND status = OLD.status;
            INSERT INTO case_queue_counts (assignee_sub, status, total)
            VALUES (coalesce(NEW.assignee_sub, ''), NEW.status, 1)
            ON CONFLICT (assignee_sub, status) DO UPDATE SET total = total + 1;
        END
        """,
        """
        CREATE TRIGGER case_queue_counts_on_delete AFTER DELETE ON cases BEGIN
            UPDATE case_queue_counts SET total = total - 1
            WHERE assignee_sub = coalesce(OLD.assignee_sub, '') AND status = OLD.status;
        END
        """,
    ),
}

for _dialect, _statements in (*STATUS_COUNT_TRIGGERS.items(), *QUEUE_COUNT_TRIGGERS.items()):
    for _statement in _statements:
        event.listen(Case.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))

# The search document of each case (its own module: tables and triggers of the search).
from support_community.cases import search_index  # noqa: E402, F401
