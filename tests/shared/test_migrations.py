"""Each service's migrations build exactly the schema its models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from shared import migrations
from tests.support import TEST_INSTANCE, drop_database, make_database

pytestmark = [
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
    # SQLite: the sort indexes on expressions (cases.SEVERITY_RANK, STATUS_RANK) are not reflected.
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
]


def _service(name: str):
    if name == "panda":
        from panda_portal import create_app
        from panda_portal.cli import MIGRATIONS_DIR
        from panda_portal.extensions import db
    else:
        from support_community import create_app
        from support_community.cli import MIGRATIONS_DIR
        from support_community.extensions import db
    return create_app, db, MIGRATIONS_DIR


@pytest.fixture(params=["panda", "community"])
def fresh(request, smtp_sink):
    create_app, db, migrations_dir = _service(request.param)
    url = make_database(f"migr{request.param}", TEST_INSTANCE)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "x",
            "COMMUNITY_CLIENT_SECRET": "x",
            "MAIL_SERVER": smtp_sink.host,
            "MAIL_PORT": smtp_sink.port,
        }
    )
    yield app, db, migrations_dir
    db.state(app).engine.dispose()
    drop_database(url)


def _differences(app, db) -> list:
    with db.state(app).engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": migrations.include_name_for(db.metadata)}
        )
        return compare_metadata(context, db.metadata)


def test_upgrading_an_empty_database_gives_the_models_schema(fresh):
    app, db, migrations_dir = fresh
    if not any(migrations_dir.joinpath("versions").glob("*.py")):
        pytest.fail(f"{migrations_dir} has no migrations")
    migrations.upgrade(app, db, migrations_dir)
    assert _differences(app, db) == []


def test_every_migration_can_be_undone(fresh):
    app, db, migrations_dir = fresh
    migrations.upgrade(app, db, migrations_dir)
    migrations.downgrade(app, db, migrations_dir, "base")
    assert set(inspect(db.state(app).engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(app, db, migrations_dir)
    assert _differences(app, db) == []


def _triggers(app, db) -> set[str]:
    """The database's triggers by name (kept counts and search documents live in them)."""
    engine = db.state(app).engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            rows = conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
            )
        return {row[0] for row in rows}


def test_migrations_leave_the_same_triggers_as_the_models(fresh):
    """A later migration that rebuilds a table (SQLite batch copy) must not lose its triggers."""
    app, db, migrations_dir = fresh
    with app.app_context():
        db.create_all()
    from_models = _triggers(app, db)
    if app.import_name.startswith("support_community"):
        assert from_models, "the community keeps counts and search documents by triggers"
    with app.app_context():
        db.drop_all()
    with db.state(app).engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    assert _triggers(app, db) == set()
    migrations.upgrade(app, db, migrations_dir)
    assert _triggers(app, db) == from_models
