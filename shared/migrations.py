"""Alembic, driven from each service's CLI (``panda db upgrade``, ``community db upgrade``)."""

from __future__ import annotations

from pathlib import Path

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
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
