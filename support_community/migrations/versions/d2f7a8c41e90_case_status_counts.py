"""case status counts

How many cases each organization has per status (``case_status_counts``), kept by triggers
on ``cases`` in the transaction of every insert, delete and change of status or organization,
and filled once here from the cases. The lists' totals read these counts instead of every case.
And ``ix_cases_activity``: "All my clients" newest activity first, from the index alone.

On SQLite, a later migration that rebuilds ``cases`` (``batch_alter_table`` copies the table)
drops these triggers with the old table: it must create them again (the SQL is below) and
run ``community cases recount``.

Revision ID: d2f7a8c41e90
Revises: c4a9e1f27d53
Create Date: 2026-12-04 15:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "d2f7a8c41e90"
down_revision = "c4a9e1f27d53"
branch_labels = None
depends_on = None

# A copy of ``support_community.cases.models.STATUS_COUNT_TRIGGERS`` as it was at this revision.
TRIGGERS = {
    "postgresql": (
        """
        CREATE OR REPLACE FUNCTION case_status_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
                    AND (NEW.organization_id, NEW.status) < (OLD.organization_id, OLD.status)) THEN
                INSERT INTO case_status_counts AS counted (organization_id, status, total)
                VALUES (NEW.organization_id, NEW.status, 1)
                ON CONFLICT (organization_id, status) DO UPDATE SET total = counted.total + 1;
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE case_status_counts SET total = total - 1
                WHERE organization_id = OLD.organization_id AND status = OLD.status;
            END IF;
            IF TG_OP = 'UPDATE' AND (NEW.organization_id, NEW.status) > (OLD.organization_id, OLD.status) THEN
                INSERT INTO case_status_counts AS counted (organization_id, status, total)
                VALUES (NEW.organization_id, NEW.status, 1)
                ON CONFLICT (organization_id, status) DO UPDATE SET total = counted.total + 1;
            END IF;
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER case_status_counts_on_insert AFTER INSERT ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_status_counts_follow()",
        "CREATE TRIGGER case_status_counts_on_update AFTER UPDATE OF status, organization_id ON cases"
        " FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status"
        " OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)"
        " EXECUTE FUNCTION case_status_counts_follow()",
        "CREATE TRIGGER case_status_counts_on_delete AFTER DELETE ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_status_counts_follow()",
    ),
    "sqlite": (
        """
        CREATE TRIGGER case_status_counts_on_insert AFTER INSERT ON cases BEGIN
            INSERT INTO case_status_counts (organization_id, status, total)
            VALUES (NEW.organization_id, NEW.status, 1)
            ON CONFLICT (organization_id, status) DO UPDATE SET total = total + 1;
        END
        """,
        """
        CREATE TRIGGER case_status_counts_on_update AFTER UPDATE OF status, organization_id ON cases
        WHEN OLD.status IS NOT NEW.status OR OLD.organization_id IS NOT NEW.organization_id BEGIN
            UPDATE case_status_counts SET total = total - 1
            WHERE organization_id = OLD.organization_id AND status = OLD.status;
            INSERT INTO case_status_counts (organization_id, status, total)
            VALUES (NEW.organization_id, NEW.status, 1)
            ON CONFLICT (organization_id, status) DO UPDATE SET total = total + 1;
        END
        """,
        """
        CREATE TRIGGER case_status_counts_on_delete AFTER DELETE ON cases BEGIN
            UPDATE case_status_counts SET total = total - 1
            WHERE organization_id = OLD.organization_id AND status = OLD.status;
        END
        """,
    ),
}
TRIGGER_NAMES = ("case_status_counts_on_insert", "case_status_counts_on_update", "case_status_counts_on_delete")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_activity", ["last_activity_at", "id", "status", "organization_id"], unique=False
        )
    op.create_table(
        "case_status_counts",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
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
        sa.PrimaryKeyConstraint("organization_id", "status", name=op.f("pk_case_status_counts")),
    )
    if dialect == "postgresql":
        # No case may be written between the count and the triggers: it would be missed.
        op.execute("LOCK TABLE cases IN SHARE MODE")
    for statement in TRIGGERS.get(dialect, ()):
        op.execute(statement)
    op.execute(
        "INSERT INTO case_status_counts (organization_id, status, total)"
        " SELECT organization_id, status, count(*) FROM cases GROUP BY organization_id, status"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON cases" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS case_status_counts_follow()")
    op.drop_table("case_status_counts")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_activity")
