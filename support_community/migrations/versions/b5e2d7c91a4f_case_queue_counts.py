"""case queue counts

How many cases each agent (and nobody: ``""``) has per status (``case_queue_counts``), kept by
triggers on ``cases`` in the transaction of every insert, delete and change of status or
assignee, and filled once here from the cases. The agents' queue counts its views and its
statuses from these instead of every open case. And ``ix_cases_queue_activity``,
``ix_cases_queue_severity``: the queue's orders with the status and the assignee beside them,
so a page is read from an index.

On SQLite, a later migration that rebuilds ``cases`` (``batch_alter_table`` copies the table)
drops these triggers with the old table: it must create them again (the SQL is below).

Revision ID: b5e2d7c91a4f
Revises: f3a1c9d2b604
Create Date: 2026-12-04 18:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "b5e2d7c91a4f"
down_revision = "f3a1c9d2b604"
branch_labels = None
depends_on = None

# A copy of ``support_community.cases.models.QUEUE_COUNT_TRIGGERS`` as it was at this revision.
TRIGGERS = {
    "postgresql": (
        """
        CREATE OR REPLACE FUNCTION case_queue_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            old_key text;
            new_key text;
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                old_key := coalesce(OLD.assignee_sub, '');
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                new_key := coalesce(NEW.assignee_sub, '');
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (new_key, NEW.status::text) < (old_key, OLD.status::text)) THEN
                INSERT INTO case_queue_counts AS counted (assignee_sub, status, total)
                VALUES (new_key, NEW.status, 1)
                ON CONFLICT (assignee_sub, status) DO UPDATE SET total = counted.total + 1;
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE case_queue_counts SET total = total - 1 WHERE assignee_sub = old_key AND status = OLD.status;
            END IF;
            IF TG_OP = 'UPDATE' AND (new_key, NEW.status::text) > (old_key, OLD.status::text) THEN
                INSERT INTO case_queue_counts AS counted (assignee_sub, status, total)
                VALUES (new_key, NEW.status, 1)
                ON CONFLICT (assignee_sub, status) DO UPDATE SET total = counted.total + 1;
            END IF;
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER case_queue_counts_on_insert AFTER INSERT ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_queue_counts_follow()",
        "CREATE TRIGGER case_queue_counts_on_update AFTER UPDATE OF status, assignee_sub ON cases"
        " FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status"
        " OR OLD.assignee_sub IS DISTINCT FROM NEW.assignee_sub)"
        " EXECUTE FUNCTION case_queue_counts_follow()",
        "CREATE TRIGGER case_queue_counts_on_delete AFTER DELETE ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_queue_counts_follow()",
    ),
    "sqlite": (
        """
        CREATE TRIGGER case_queue_counts_on_insert AFTER INSERT ON cases BEGIN
            INSERT INTO case_queue_counts (assignee_sub, status, total)
            VALUES (coalesce(NEW.assignee_sub, ''), NEW.status, 1)
            ON CONFLICT (assignee_sub, status) DO UPDATE SET total = total + 1;
        END
        """,
        """
        CREATE TRIGGER case_queue_counts_on_update AFTER UPDATE OF status, assignee_sub ON cases
        WHEN OLD.status IS NOT NEW.status OR OLD.assignee_sub IS NOT NEW.assignee_sub BEGIN
            UPDATE case_queue_counts SET total = total - 1
            WHERE assignee_sub = coalesce(OLD.assignee_sub, '') AND status = OLD.status;
            INSERT INTO case_queue_counts (assignee_sub, status, total)
            VALUES (coalesce(NEW.assignee_sub, ''), NEW.status, 1)
            ON CONFLICT (assignee_sub, status) DO UPDATE SET total = total + 1;
        END
        """,
        """
        CREATE TRIGGER case_queue_counts_on_delete AFTER DELETE ON cases BEGIN
            UPDATE case_queue_counts SET total = total - 1
            WHERE assignee_sub = coalesce(OLD.assignee_sub, '') AND status = OLD.status;
        END
        """,
    ),
}
TRIGGER_NAMES = ("case_queue_counts_on_insert", "case_queue_counts_on_update", "case_queue_counts_on_delete")


SEVERITY_RANK = (
    "(\nCASE severity\n    WHEN 'critical' THEN 4\n    WHEN 'high' THEN 3\n    WHEN 'normal' THEN 2\n    ELSE 1\nEND)"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # (Indexes only: ``cases`` is not rebuilt, its triggers stay.)
    op.create_index("ix_cases_queue_activity", "cases", ["last_activity_at", "id", "status", "assignee_sub"])
    op.create_index(
        "ix_cases_queue_severity", "cases", [sa.text(SEVERITY_RANK), "last_activity_at", "id", "status", "assignee_sub"]
    )
    op.create_table(
        "case_queue_counts",
        sa.Column("assignee_sub", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "in_progress",
                "waiting_for_customer",
                "solved",
                "closed",
                name="status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("assignee_sub", "status", name=op.f("pk_case_queue_counts")),
    )
    if dialect == "postgresql":
        # No case may be written between the count and the triggers: it would be missed.
        op.execute("LOCK TABLE cases IN SHARE MODE")
    for statement in TRIGGERS.get(dialect, ()):
        op.execute(statement)
    op.execute(
        "INSERT INTO case_queue_counts (assignee_sub, status, total)"
        " SELECT coalesce(assignee_sub, ''), status, count(*) FROM cases GROUP BY coalesce(assignee_sub, ''), status"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON cases" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS case_queue_counts_follow()")
    op.drop_table("case_queue_counts")
    op.drop_index("ix_cases_queue_severity", table_name="cases")
    op.drop_index("ix_cases_queue_activity", table_name="cases")
