"""case search documents and sort indexes

``case_search``: one search document per case (the number, subject and messages customers see;
apart, the internal notes and the organization's name), kept by triggers on ``cases`` and
``case_messages``, with ``tsvector`` columns and GIN indexes on PostgreSQL and the FTS5 table
``case_search_fts`` on SQLite; filled here from the existing cases. The expression indexes
``ix_cases_severity_rank``, ``ix_cases_status_rank`` and ``ix_cases_created`` let the lists sorted
by severity, status and opening walk an index (by number: the unique index of the numbers). The GIN expression indexes of the subjects
and message bodies, which the searches no longer read, go.

On SQLite, a later migration that rebuilds ``cases``, ``case_messages`` or ``case_search``
(``batch_alter_table`` copies the table) drops the triggers on it: it must create them again (the
SQL is below) and run ``community cases reindex``.

Revision ID: a3f9c2d8e5b1
Revises: d2f7a8c41e90
Create Date: 2026-12-04 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "a3f9c2d8e5b1"
down_revision = "d2f7a8c41e90"
branch_labels = None
depends_on = None

SEVERITY_RANK = (
    "(\nCASE severity\n    WHEN 'critical' THEN 4\n    WHEN 'high' THEN 3\n    WHEN 'normal' THEN 2\n    ELSE 1\nEND)"
)
STATUS_RANK = "(\nCASE status\n    WHEN 'new' THEN 1\n    WHEN 'in_progress' THEN 2\n    WHEN 'waiting_for_customer' THEN 3\n    WHEN 'solved' THEN 4\n    ELSE 5\nEND)"

# A copy of ``support_community.cases.search_index.triggers()`` as it was at this revision.
TRIGGERS = {
    "postgresql": (
        """
            CREATE OR REPLACE FUNCTION case_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                target uuid;
            BEGIN
                IF TG_TABLE_NAME = 'cases' THEN
                    target := NEW.id;
                ELSIF TG_OP = 'DELETE' THEN
                    target := OLD.case_id;
                ELSE
                    target := NEW.case_id;
                END IF;
                -- Two messages of one case written at once: the second waits here for the first's
                -- commit, then reads both (its document would miss the first one's words otherwise).
                PERFORM 1 FROM case_search WHERE case_id = target FOR UPDATE;

        INSERT INTO case_search AS s (case_id, language, customer_text, agent_text, customer_vector, agent_vector)
        SELECT d.case_id, d.language, '', '',
               to_tsvector('simple'::regconfig, d.customer_text) || to_tsvector(CASE d.language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'fr' THEN 'french'::regconfig WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, d.customer_text),
               to_tsvector('simple'::regconfig, d.customer_text || ' ' || d.agent_text) || to_tsvector(CASE d.language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'fr' THEN 'french'::regconfig WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, d.customer_text || ' ' || d.agent_text)
        FROM (
        SELECT c.id AS case_id, coalesce((SELECT p.locale FROM people p WHERE p.sub = c.opened_by_sub), 'en') AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT string_agg(m.body, ' ' ORDER BY m.created_at) FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT string_agg(m.body, ' ' ORDER BY m.created_at) FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE c.id = target) d
        ON CONFLICT (case_id) DO UPDATE SET language = EXCLUDED.language, customer_text = EXCLUDED.customer_text,
            agent_text = EXCLUDED.agent_text, customer_vector = EXCLUDED.customer_vector,
            agent_vector = EXCLUDED.agent_vector;
                IF TG_TABLE_NAME = 'case_messages' AND TG_OP = 'UPDATE' THEN
                    -- (nested: the row of ``cases`` has no case_id to compare)
                    IF OLD.case_id <> NEW.case_id THEN
                        target := OLD.case_id;
                        PERFORM 1 FROM case_search WHERE case_id = target FOR UPDATE;

        INSERT INTO case_search AS s (case_id, language, customer_text, agent_text, customer_vector, agent_vector)
        SELECT d.case_id, d.language, '', '',
               to_tsvector('simple'::regconfig, d.customer_text) || to_tsvector(CASE d.language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'fr' THEN 'french'::regconfig WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, d.customer_text),
               to_tsvector('simple'::regconfig, d.customer_text || ' ' || d.agent_text) || to_tsvector(CASE d.language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'fr' THEN 'french'::regconfig WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, d.customer_text || ' ' || d.agent_text)
        FROM (
        SELECT c.id AS case_id, coalesce((SELECT p.locale FROM people p WHERE p.sub = c.opened_by_sub), 'en') AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT string_agg(m.body, ' ' ORDER BY m.created_at) FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT string_agg(m.body, ' ' ORDER BY m.created_at) FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE c.id = target) d
        ON CONFLICT (case_id) DO UPDATE SET language = EXCLUDED.language, customer_text = EXCLUDED.customer_text,
            agent_text = EXCLUDED.agent_text, customer_vector = EXCLUDED.customer_vector,
            agent_vector = EXCLUDED.agent_vector;
                    END IF;
                END IF;
                RETURN NULL;
            END
            $$
""",
        """CREATE TRIGGER case_search_on_case_insert AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION case_search_refresh()""",
        """CREATE TRIGGER case_search_on_case_update AFTER UPDATE OF number, subject, organization_id, organization_name, opened_by_sub ON cases FOR EACH ROW EXECUTE FUNCTION case_search_refresh()""",
        """CREATE TRIGGER case_search_on_message AFTER INSERT OR UPDATE OF body, kind, case_id OR DELETE ON case_messages FOR EACH ROW EXECUTE FUNCTION case_search_refresh()""",
    ),
    "sqlite": (
        """CREATE VIRTUAL TABLE IF NOT EXISTS case_search_fts USING fts5(customer_text, agent_text, content='case_search', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
        """CREATE TRIGGER IF NOT EXISTS case_search_fts_insert AFTER INSERT ON case_search BEGIN
            INSERT INTO case_search_fts (rowid, customer_text, agent_text)
            VALUES (NEW.id, NEW.customer_text, NEW.agent_text);
        END""",
        """CREATE TRIGGER IF NOT EXISTS case_search_fts_delete AFTER DELETE ON case_search BEGIN
            INSERT INTO case_search_fts (case_search_fts, rowid, customer_text, agent_text)
            VALUES ('delete', OLD.id, OLD.customer_text, OLD.agent_text);
        END""",
        """CREATE TRIGGER IF NOT EXISTS case_search_fts_update AFTER UPDATE ON case_search BEGIN
            INSERT INTO case_search_fts (case_search_fts, rowid, customer_text, agent_text)
            VALUES ('delete', OLD.id, OLD.customer_text, OLD.agent_text);
            INSERT INTO case_search_fts (rowid, customer_text, agent_text)
            VALUES (NEW.id, NEW.customer_text, NEW.agent_text);
        END""",
        """CREATE TRIGGER IF NOT EXISTS case_search_on_case_insert AFTER INSERT ON cases BEGIN

        INSERT INTO case_search (case_id, language, customer_text, agent_text)

        SELECT c.id AS case_id, 'en' AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE c.id = NEW.id
        ON CONFLICT (case_id) DO UPDATE SET language = excluded.language, customer_text = excluded.customer_text,
            agent_text = excluded.agent_text;
        END""",
        """CREATE TRIGGER IF NOT EXISTS case_search_on_case_update
        AFTER UPDATE OF number, subject, organization_id, organization_name, opened_by_sub ON cases BEGIN

        INSERT INTO case_search (case_id, language, customer_text, agent_text)

        SELECT c.id AS case_id, 'en' AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE c.id = NEW.id
        ON CONFLICT (case_id) DO UPDATE SET language = excluded.language, customer_text = excluded.customer_text,
            agent_text = excluded.agent_text;
        END""",
        """CREATE TRIGGER IF NOT EXISTS case_search_on_message_insert AFTER INSERT ON case_messages BEGIN

        INSERT INTO case_search (case_id, language, customer_text, agent_text)

        SELECT c.id AS case_id, 'en' AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE c.id = NEW.case_id
        ON CONFLICT (case_id) DO UPDATE SET language = excluded.language, customer_text = excluded.customer_text,
            agent_text = excluded.agent_text;
        END""",
        """CREATE TRIGGER IF NOT EXISTS case_search_on_message_update
        AFTER UPDATE OF body, kind, case_id ON case_messages BEGIN

        INSERT INTO case_search (case_id, language, customer_text, agent_text)

        SELECT c.id AS case_id, 'en' AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE c.id = NEW.case_id
        ON CONFLICT (case_id) DO UPDATE SET language = excluded.language, customer_text = excluded.customer_text,
            agent_text = excluded.agent_text;

        INSERT INTO case_search (case_id, language, customer_text, agent_text)

        SELECT c.id AS case_id, 'en' AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE c.id = OLD.case_id
        ON CONFLICT (case_id) DO UPDATE SET language = excluded.language, customer_text = excluded.customer_text,
            agent_text = excluded.agent_text;
        END""",
        """CREATE TRIGGER IF NOT EXISTS case_search_on_message_delete AFTER DELETE ON case_messages BEGIN

        INSERT INTO case_search (case_id, language, customer_text, agent_text)

        SELECT c.id AS case_id, 'en' AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE c.id = OLD.case_id
        ON CONFLICT (case_id) DO UPDATE SET language = excluded.language, customer_text = excluded.customer_text,
            agent_text = excluded.agent_text;
        END""",
    ),
}
FILL = {
    "postgresql": """
        INSERT INTO case_search AS s (case_id, language, customer_text, agent_text, customer_vector, agent_vector)
        SELECT d.case_id, d.language, '', '',
               to_tsvector('simple'::regconfig, d.customer_text) || to_tsvector(CASE d.language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'fr' THEN 'french'::regconfig WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, d.customer_text),
               to_tsvector('simple'::regconfig, d.customer_text || ' ' || d.agent_text) || to_tsvector(CASE d.language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'fr' THEN 'french'::regconfig WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END, d.customer_text || ' ' || d.agent_text)
        FROM (
        SELECT c.id AS case_id, coalesce((SELECT p.locale FROM people p WHERE p.sub = c.opened_by_sub), 'en') AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT string_agg(m.body, ' ' ORDER BY m.created_at) FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT string_agg(m.body, ' ' ORDER BY m.created_at) FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE 1 = 1) d
        ON CONFLICT (case_id) DO UPDATE SET language = EXCLUDED.language, customer_text = EXCLUDED.customer_text,
            agent_text = EXCLUDED.agent_text, customer_vector = EXCLUDED.customer_vector,
            agent_vector = EXCLUDED.agent_vector""",
    "sqlite": """
        INSERT INTO case_search (case_id, language, customer_text, agent_text)

        SELECT c.id AS case_id, 'en' AS language,
               c.number || ' ' || c.subject || ' ' || coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('description', 'reply')), '')
                   AS customer_text,
               coalesce((SELECT group_concat(m.body, ' ') FROM case_messages m WHERE m.case_id = c.id AND m.kind IN ('internal_note')), '') || ' ' || c.organization_name AS agent_text
        FROM cases c
        WHERE 1 = 1
        ON CONFLICT (case_id) DO UPDATE SET language = excluded.language, customer_text = excluded.customer_text,
            agent_text = excluded.agent_text""",
}
TRIGGER_NAMES = {
    "postgresql": (
        ("case_search_on_case_insert", "cases"),
        ("case_search_on_case_update", "cases"),
        ("case_search_on_message", "case_messages"),
    ),
    "sqlite": tuple(
        (name, "")
        for name in (
            "case_search_fts_insert",
            "case_search_fts_delete",
            "case_search_fts_update",
            "case_search_on_case_insert",
            "case_search_on_case_update",
            "case_search_on_message_insert",
            "case_search_on_message_update",
            "case_search_on_message_delete",
        )
    ),
}


def _vector() -> sa.types.TypeEngine:
    return postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "case_search",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("customer_text", sa.Text(), nullable=False),
        sa.Column("agent_text", sa.Text(), nullable=False),
        sa.Column("customer_vector", _vector(), nullable=True),
        sa.Column("agent_vector", _vector(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_search_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_search")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_search_case_id")),
    )
    op.create_index("ix_case_search_customer", "case_search", ["customer_vector"], postgresql_using="gin")
    op.create_index("ix_case_search_agent", "case_search", ["agent_vector"], postgresql_using="gin")
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_cases_subject_search")
        op.execute("DROP INDEX IF EXISTS ix_case_messages_body_search")
        # No case or message may be written between the filling and the triggers: it would be missed.
        op.execute("LOCK TABLE cases, case_messages IN SHARE MODE")
    op.create_index("ix_cases_severity_rank", "cases", [sa.text(SEVERITY_RANK), "id", "status", "organization_id"])
    op.create_index("ix_cases_status_rank", "cases", [sa.text(STATUS_RANK), "id", "organization_id"])
    op.create_index("ix_cases_created", "cases", ["created_at", "id", "status", "organization_id"])
    for statement in TRIGGERS[dialect]:
        op.execute(statement)
    op.execute(FILL[dialect])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table in TRIGGER_NAMES[dialect]:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if table else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS case_search_refresh()")
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_cases_subject_search ON cases"
            " USING gin (to_tsvector('simple'::regconfig, subject))"
        )
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_case_messages_body_search ON case_messages"
            " USING gin (to_tsvector('simple'::regconfig, body))"
        )
    else:
        op.execute("DROP TABLE IF EXISTS case_search_fts")
    op.drop_index("ix_cases_created", table_name="cases")
    op.drop_index("ix_cases_status_rank", table_name="cases")
    op.drop_index("ix_cases_severity_rank", table_name="cases")
    op.drop_table("case_search")
