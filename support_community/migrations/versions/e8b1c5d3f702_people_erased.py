"""people.erased_at: a person whose Panda account was deleted (shown as a former member).

Revision ID: e8b1c5d3f702
Revises: a6d3f0e95c21
"""

import sqlalchemy as sa
from alembic import op

import shared.database

revision = "e8b1c5d3f702"
down_revision = "a6d3f0e95c21"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", shared.database.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
