"""cases by organization and opening date, with the id and status

``ix_cases_org_created`` gains the case's id (the lists' tie-breaker) and its status: "All my
clients" by opening date takes each organization's first cases from it alone, in order
(``listing._merged_by_organization``), instead of walking every case's opening date.

Revision ID: c8e4a1f6d2b9
Revises: b5e2d7c91a4f
Create Date: 2026-12-04 20:10:00.000000
"""

from alembic import op

revision = "c8e4a1f6d2b9"
down_revision = "b5e2d7c91a4f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_org_created", table_name="cases")
    op.create_index("ix_cases_org_created", "cases", ["organization_id", "created_at", "id", "status"])


def downgrade() -> None:
    op.drop_index("ix_cases_org_created", table_name="cases")
    op.create_index("ix_cases_org_created", "cases", ["organization_id", "created_at"])
