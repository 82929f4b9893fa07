"""api idempotent requests

The answers of the API's POST requests sent with an ``Idempotency-Key``, kept 24 hours
per caller (``shared.api.idempotency``).

Revision ID: f3a1c9d2b604
Revises: e8b1c5d3f702
Create Date: 2026-12-04 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "f3a1c9d2b604"
down_revision = "e8b1c5d3f702"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_idempotent_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotent_requests")),
        sa.UniqueConstraint("caller", "key", name="uq_api_idempotent_requests_caller_key"),
    )
    op.create_index(
        op.f("ix_api_idempotent_requests_created_at"), "api_idempotent_requests", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_api_idempotent_requests_created_at"), table_name="api_idempotent_requests")
    op.drop_table("api_idempotent_requests")
