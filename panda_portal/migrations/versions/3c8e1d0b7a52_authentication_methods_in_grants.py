"""How the person signed in (amr) kept with each authorization code and grant.

Revision ID: 3c8e1d0b7a52
Revises: f5a4ca4bb328
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3c8e1d0b7a52"
down_revision = "f5a4ca4bb328"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("oidc_authorization_codes", "oidc_token_families"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("amr", sa.String(length=60), nullable=False, server_default="pwd"))


def downgrade() -> None:
    for table in ("oidc_token_families", "oidc_authorization_codes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("amr")
