"""cases by opening date (with what the reports group by), by solving date, by first response due date

The agents' reports count the cases opened, solved or with a first response due in a period.
``ix_cases_report_opened`` gives the opened ones with their severity, assignee, product,
organization and first response from the index alone; ``ix_cases_solved`` and
``ix_cases_first_response_due`` make the other two dates range reads instead of scans of every case.

Revision ID: a7d3e9b2c415
Revises: c8e4a1f6d2b9
Create Date: 2026-12-04 23:40:00.000000
"""

from alembic import op

revision = "a7d3e9b2c415"
down_revision = "c8e4a1f6d2b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_report_opened",
        "cases",
        ["created_at", "severity", "assignee_sub", "product_key", "organization_id", "first_responded_at"],
    )
    op.create_index("ix_cases_solved", "cases", ["solved_at"])
    op.create_index("ix_cases_first_response_due", "cases", ["first_response_due_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_first_response_due", table_name="cases")
    op.drop_index("ix_cases_solved", table_name="cases")
    op.drop_index("ix_cases_report_opened", table_name="cases")
