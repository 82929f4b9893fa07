"""Personal access tokens, organizations that forbid them, grants without a person, API idempotency keys.

Revision ID: 6e1f3a9c2b47
Revises: 3c8e1d0b7a52
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "6e1f3a9c2b47"
down_revision = "3c8e1d0b7a52"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A client_credentials grant has no person.
    with op.batch_alter_table("oidc_token_families") as batch:
        batch.alter_column("account_id", existing_type=sa.Uuid(), nullable=True)
    op.create_table(
        "personal_access_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("expiry_reminded_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_personal_access_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_personal_access_tokens_token_hash")),
    )
    op.create_index(op.f("ix_personal_access_tokens_account_id"), "personal_access_tokens", ["account_id"])
    op.create_index(op.f("ix_personal_access_tokens_expires_at"), "personal_access_tokens", ["expires_at"])
    op.create_table(
        "organization_token_policies",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("forbid_personal_tokens", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_token_policies_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["accounts.id"],
            name=op.f("fk_organization_token_policies_updated_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_organization_token_policies")),
    )
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
    op.create_index(op.f("ix_api_idempotent_requests_created_at"), "api_idempotent_requests", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_idempotent_requests_created_at"), table_name="api_idempotent_requests")
    op.drop_table("api_idempotent_requests")
    op.drop_table("organization_token_policies")
    op.drop_index(op.f("ix_personal_access_tokens_expires_at"), table_name="personal_access_tokens")
    op.drop_index(op.f("ix_personal_access_tokens_account_id"), table_name="personal_access_tokens")
    op.drop_table("personal_access_tokens")
    # Grants without a person cannot stay once a person is required again.
    op.execute("DELETE FROM oidc_token_families WHERE account_id IS NULL")
    with op.batch_alter_table("oidc_token_families") as batch:
        batch.alter_column("account_id", existing_type=sa.Uuid(), nullable=False)
