"""Browsers a person signed in from (new-browser mails) and changes of e-mail address.

Revision ID: 9d4b7e2a61c3
Revises: 5e0b9c2d7a41
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.database

revision = "9d4b7e2a61c3"
down_revision = "5e0b9c2d7a41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_browsers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_known_browsers_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_browsers")),
        sa.UniqueConstraint("account_id", "browser_hash", name=op.f("uq_known_browsers_account_id_browser_hash")),
    )
    with op.batch_alter_table("known_browsers", schema=None) as batch_op:
        batch_op.create_index("ix_known_browsers_account_id", ["account_id"], unique=False)

    op.create_table(
        "email_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("old_email", sa.String(length=254), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=False),
        sa.Column("confirm_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirm_expires_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", shared.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", shared.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undo_hash", sa.String(length=64), nullable=True),
        sa.Column("undo_expires_at", shared.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_at", shared.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_email_changes_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_changes")),
        sa.UniqueConstraint("confirm_hash", name=op.f("uq_email_changes_confirm_hash")),
        sa.UniqueConstraint("undo_hash", name=op.f("uq_email_changes_undo_hash")),
    )
    with op.batch_alter_table("email_changes", schema=None) as batch_op:
        batch_op.create_index("ix_email_changes_account_id", ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_email_changes_account_id")
    op.drop_table("email_changes")
    with op.batch_alter_table("known_browsers", schema=None) as batch_op:
        batch_op.drop_index("ix_known_browsers_account_id")
    op.drop_table("known_browsers")
