"""inbound messages

Replies by e-mail: every received mail is stored as it came (raw bytes, a SHA-256
fingerprint that keeps a mail from being stored twice) with its state (pending, done,
failed), attempts, next attempt and what became of it.

Revision ID: c4a9e1f27d53
Revises: b7d4e2a91c3f
Create Date: 2026-12-04 14:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import shared.database

revision = "c4a9e1f27d53"
down_revision = "b7d4e2a91c3f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("envelope_sender", sa.String(length=320), nullable=True),
        sa.Column("envelope_recipients", sa.Text(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "done", "failed", name="inboundstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", shared.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_inbound_messages_fingerprint")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_messages_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_messages_due")
    op.drop_table("inbound_messages")
