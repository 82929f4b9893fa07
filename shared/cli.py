"""CLI commands both services have: ``db upgrade``/``db revision`` and ``outbox work``."""
from __future__ import annotations

import signal
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from shared import migrations
from shared.database import Database
from shared.outbox import Outbox


def register_common_commands(app: Flask, db: Database, migrations_dir: Path, outbox: Outbox) -> None:
    db_group = AppGroup("db", help="Database schema (Alembic migrations).")

    @db_group.command("upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision: str) -> None:
        """Bring the database schema up to REVISION (default: the newest)."""
        migrations.upgrade(app, db, migrations_dir, revision)
        click.echo(f"Database is at {revision}.")

    @db_group.command("downgrade")
    @click.argument("revision")
    def db_downgrade(revision: str) -> None:
        """Take the schema back to REVISION."""
        migrations.downgrade(app, db, migrations_dir, revision)

    @db_group.command("revision")
    @click.option("-m", "--message", required=True)
    def db_revision(message: str) -> None:
        """Write a new migration from the difference between the models and the database."""
        migrations.revision(app, db, migrations_dir, message)

    app.cli.add_command(db_group)

    outbox_group = AppGroup("outbox", help="The outbox of mails and messages.")

    @outbox_group.command("work")
    @click.option("--once", is_flag=True, help="Deliver what is due, then stop.")
    @click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
    def outbox_work(once: bool, interval: float) -> None:
        """Deliver queued mails and messages, retrying failures with back-off."""
        stopping = {"flag": False}

        def stop(*_: object) -> None:
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not once:
            click.echo("Outbox worker started; Ctrl-C to stop.")
        outbox.work(app, once=once, interval=interval, should_stop=lambda: stopping["flag"])

    app.cli.add_command(outbox_group)
