"""An organization may require two-step verification of the members who act for it.

Revision ID: b7e2c4a91d35
Revises: 9d4b7e2a61c3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7e2c4a91d35"
down_revision = "9d4b7e2a61c3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("requires_two_step", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("requires_two_step")
