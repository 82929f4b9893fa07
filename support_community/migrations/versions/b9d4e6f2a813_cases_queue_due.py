"""the agents' queue soonest due first and by product from indexes: ix_cases_queue_due (replacing
ix_cases_next_due_at) and ix_cases_queue_product

``ix_cases_queue_due`` holds the due time, then the latest activity (newest first), the id, the status
and the assignee: the queue sorted by due time reads a page of the cases with a due time, and one of
those without (NULL, by latest activity), from it instead of sorting every open case. It begins with
the due time as ``ix_cases_next_due_at`` did, which the breaching view used.
``ix_cases_queue_product`` finds the cases of a product with few of them without reading every case.

Revision ID: b9d4e6f2a813
Revises: a7d3e9b2c415
Create Date: 2026-12-05 01:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "b9d4e6f2a813"
down_revision = "a7d3e9b2c415"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_queue_due",
        "cases",
        ["next_due_at", sa.text("last_activity_at DESC"), "id", "status", "assignee_sub"],
    )
    op.drop_index("ix_cases_next_due_at", table_name="cases")
    op.create_index("ix_cases_queue_product", "cases", ["product_key", "status", "last_activity_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_queue_product", table_name="cases")
    op.create_index("ix_cases_next_due_at", "cases", ["next_due_at"])
    op.drop_index("ix_cases_queue_due", table_name="cases")
