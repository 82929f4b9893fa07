"""CLI commands both services have: ``db``, ``sessions purge`` and ``outbox work``/``failed``/``retry``."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from shared.database import Database
from shared.outbox import Outbox
from shared.sessions import DatabaseSessionInterface, purge_expired_sessions


def register_common_commands(app: Flask, db: Database, migrations_dir: Path, outbox: Outbox) -> None:
    db_group = AppGroup("db", help="Database schema (Alembic migrations).")

    @db_group.command("upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision: str) -> None:
        """Bring the database schema up to REVISION (default: the newest)."""
        from shared import migrations  # Alembic (and Mako, Pygments): not in every web worker

        migrations.upgrade(app, db, migrations_dir, revision)
        click.echo(f"Database is at {revision}.")

    @db_group.command("downgrade")
    @click.argument("revision")
    def db_downgrade(revision: str) -> None:
        """Take the schema back to REVISION."""
        from shared import migrations  # Alembic (and Mako, Pygments): not in every web worker

        migrations.downgrade(app, db, migrations_dir, revision)

    @db_group.command("revision")
    @click.option("-m", "--message", required=True)
    def db_revision(message: str) -> None:
        """Write a new migration from the difference between the models and the database."""
        from shared import migrations  # Alembic (and Mako, Pygments): not in every web worker

        migrations.revision(app, db, migrations_dir, message)

    app.cli.add_command(db_group)

    sessions_group = AppGroup("sessions", help="Browser sessions kept in the database.")

    @sessions_group.command("purge")
    def sessions_purge() -> None:
        """Delete expired browser sessions. Run it daily."""
        interface = app.session_interface
        if not isinstance(interface, DatabaseSessionInterface):
            raise click.ClickException("this service keeps no sessions in its database")
        removed = purge_expired_sessions(db, interface.model)
        db.session.commit()
        click.echo(f"Deleted {removed} expired session(s).")

    app.cli.add_command(sessions_group)
    # The readiness check reports the messages the outbox gave up on.
    app.extensions["outbox"] = outbox

    outbox_group = AppGroup("outbox", help="The outbox of mails and messages.")

    @outbox_group.command("work")
    @click.option("--once", is_flag=True, help="Deliver what is due, then stop.")
    @click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
    @click.option(
        "--metrics-port",
        type=click.IntRange(1, 65535),
        default=None,
        help="Serve this worker's metrics (deliveries, outbox backlog) in Prometheus format on this port.",
    )
    def outbox_work(once: bool, interval: float, metrics_port: int | None) -> None:
        """Deliver queued mails and messages, retrying failures with back-off."""
        stopping = {"flag": False}
        if metrics_port is not None:
            from shared.metrics import OutboxCollector, serve_metrics_port

            service = app.extensions["operations"]["SERVICE"]
            serve_metrics_port(metrics_port, collectors=[OutboxCollector(app, service)])

        def stop(*_: object) -> None:
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not once:
            click.echo("Outbox worker started; Ctrl-C to stop.")
        outbox.work(app, once=once, interval=interval, should_stop=lambda: stopping["flag"])

    @outbox_group.command("failed")
    @click.option("--limit", default=100, show_default=True, help="Show at most this many.")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
    def outbox_failed(limit: int, as_json: bool) -> None:
        """List the messages given up on (refused for good, or out of attempts), newest first."""
        rows = outbox.failed(limit)
        for row in rows:
            recipient = (row.payload or {}).get("to") or (row.payload or {}).get("client_id") or ""
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "id": row.id,
                            "kind": row.kind,
                            "to": recipient,
                            "attempts": row.attempts,
                            "failed_at": row.failed_at.isoformat(),
                            "error": row.last_error,
                        }
                    )
                )
            else:
                click.echo(
                    f"{row.id}\t{row.kind}\t{recipient}\t{row.attempts} attempt(s)\t"
                    f"{row.failed_at:%Y-%m-%d %H:%M}Z\t{row.last_error or ''}"
                )
        if not as_json:
            total = outbox.failed_count()
            click.echo(f"{total} failed message(s)" + (f", {len(rows)} shown." if total > len(rows) else "."))

    @outbox_group.command("retry")
    @click.argument("message_ids", nargs=-1, type=int, required=True)
    def outbox_retry(message_ids: tuple[int, ...]) -> None:
        """Send failed messages again (after fixing what refused them), with a fresh set of attempts."""
        unknown = [message_id for message_id in message_ids if not outbox.retry(message_id)]
        db.session.commit()
        for message_id in unknown:
            click.echo(f"{message_id}: no failed message with this id", err=True)
        click.echo(f"{len(message_ids) - len(unknown)} message(s) queued again.")
        if unknown:
            raise SystemExit(1)

    app.cli.add_command(outbox_group)
