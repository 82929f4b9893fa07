"""Alembic, driven from each service's CLI (``panda db upgrade``, ``community db upgrade``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from flask import Flask

from shared.database import Database


def alembic_config(app: Flask, db: Database, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    config.attributes["engine"] = db.state(app).engine
    config.attributes["metadata"] = db.metadata
    return config


def upgrade(app: Flask, db: Database, migrations_dir: Path, revision: str = "head") -> None:
    command.upgrade(alembic_config(app, db, migrations_dir), revision)


def downgrade(app: Flask, db: Database, migrations_dir: Path, revision: str) -> None:
    command.downgrade(alembic_config(app, db, migrations_dir), revision)


def revision(app: Flask, db: Database, migrations_dir: Path, message: str) -> None:
    command.revision(alembic_config(app, db, migrations_dir), message=message, autogenerate=True)


def include_name_for(metadata: Any) -> Callable[[str | None, str, Any], bool]:
    """Autogenerate's filter: leaves out the tables a service creates with DDL of its own (SQLite's
    full-text tables and their shadow tables), whose names start with one of the prefixes in
    ``metadata.info["unmanaged_tables"]``."""
    prefixes = tuple(metadata.info.get("unmanaged_tables", ()))

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return not (type_ == "table" and prefixes and name and name.startswith(prefixes))

    return include_name


def run_migrations() -> None:
    """The body of each service's ``migrations/env.py``: engine and metadata come from the app."""
    from alembic import context

    config = context.config
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=config.attributes["metadata"],
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name_for(config.attributes["metadata"]),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
