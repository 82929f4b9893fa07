"""``<service> webhooks prune``: the same command in both services."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from shared.webhooks.service import Webhooks


def register_webhook_commands(app: Flask, webhooks: Webhooks) -> None:
    group = AppGroup("webhooks", help="Outgoing webhooks.")

    @group.command("prune")
    @click.option(
        "--keep-days",
        type=click.IntRange(1, 3650),
        default=None,
        help="Keep this many days instead of WEBHOOK_KEEP_DAYS.",
    )
    def prune_command(keep_days: int | None) -> None:
        """Delete webhook deliveries and their attempt logs older than WEBHOOK_KEEP_DAYS (default 30). Run it daily."""
        days = keep_days if keep_days is not None else int(current_app.config["WEBHOOK_KEEP_DAYS"])
        removed = webhooks.prune(keep_days=days)
        click.echo(f"Deleted {removed} webhook delivery(ies) older than {days} days, with their attempts.")

    app.cli.add_command(group)
