"""held back organizations

The organizations Panda holds back from a person's list, and why (``person_access.held_back``):
an organization that requires two-step verification the person has not set up.

Revision ID: a6d3f0e95c21
Revises: 6f1c0d3e8b52
"""

import sqlalchemy as sa
from alembic import op

revision = "a6d3f0e95c21"
down_revision = "6f1c0d3e8b52"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person_access") as batch:
        batch.add_column(sa.Column("held_back", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("person_access") as batch:
        batch.drop_column("held_back")
