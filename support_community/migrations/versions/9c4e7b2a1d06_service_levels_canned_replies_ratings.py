"""service levels, canned replies, presence on cases, ratings

The due times of a case in business hours (``cases.first_response_due_at`` … ``next_due_at``,
indexed for the queue's "breaching SLA" view and its sort), the team's canned replies, which
agents have a case open (``case_presence``) and the customers' ratings of solved cases.
Columns and indexes are added without rebuilding ``cases`` (its status-count triggers stay);
``community sla recompute`` computes the due times of the cases already open.

Revision ID: 9c4e7b2a1d06
Revises: a3f9c2d8e5b1
Create Date: 2026-12-04 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import shared.database

revision = "9c4e7b2a1d06"
down_revision = "a3f9c2d8e5b1"
branch_labels = None
depends_on = None

DUE_COLUMNS = (
    "first_response_due_at",
    "first_responded_at",
    "awaiting_reply_since",
    "reply_due_at",
    "resolution_due_at",
    "sla_paused_since",
    "next_due_at",
)


def upgrade() -> None:
    for name in DUE_COLUMNS:
        op.add_column("cases", sa.Column(name, shared.database.UTCDateTime(timezone=True), nullable=True))
    op.add_column("cases", sa.Column("sla_paused_seconds", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_cases_next_due_at", "cases", ["next_due_at"], unique=False)

    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("body_nl", sa.Text(), nullable=False),
        sa.Column("body_fr", sa.Text(), nullable=False),
        sa.Column("set_status", sa.String(length=32), nullable=True),
        sa.Column("created_by_sub", sa.String(length=64), nullable=False),
        sa.Column("updated_by_sub", sa.String(length=64), nullable=False),
        sa.Column("created_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_sub"], ["people.sub"], name=op.f("fk_canned_replies_created_by_sub_people")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_sub"], ["people.sub"], name=op.f("fk_canned_replies_updated_by_sub_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
    )
    op.create_table(
        "case_presence",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("agent_sub", sa.String(length=64), nullable=False),
        sa.Column("viewed_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replying_at", shared.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_sub"], ["people.sub"], name=op.f("fk_case_presence_agent_sub_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_presence_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "agent_sub", name=op.f("pk_case_presence")),
    )
    op.create_index("ix_case_presence_case_seen", "case_presence", ["case_id", "viewed_at"], unique=False)
    op.create_table(
        "case_ratings",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_by_sub", sa.String(length=64), nullable=False),
        sa.Column("created_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating IN ('good', 'bad')", name=op.f("ck_case_ratings_rating")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_ratings_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["rated_by_sub"], ["people.sub"], name=op.f("fk_case_ratings_rated_by_sub_people")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_ratings")),
    )
    op.create_index("ix_case_ratings_updated_at", "case_ratings", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_ratings_updated_at", table_name="case_ratings")
    op.drop_table("case_ratings")
    op.drop_index("ix_case_presence_case_seen", table_name="case_presence")
    op.drop_table("case_presence")
    op.drop_table("canned_replies")
    op.drop_index("ix_cases_next_due_at", table_name="cases")
    # SQLite drops columns by itself since 3.35, without rebuilding the table (the triggers stay).
    op.drop_column("cases", "sla_paused_seconds")
    for name in reversed(DUE_COLUMNS):
        op.drop_column("cases", name)
