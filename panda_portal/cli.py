"""``panda``: the command line of Panda (a Flask CLI group)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.cli import FlaskGroup

from shared.cli import register_common_commands

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def register_commands(app: Flask) -> None:
    from panda_portal.extensions import db
    from panda_portal.outbox.services import outbox

    register_common_commands(app, db, MIGRATIONS_DIR, outbox)
    from panda_portal.accounts.cli import users_group
    from panda_portal.demo import demo_command
    from panda_portal.oidc.cli import clients_group, keys_group, tokens_group

    app.cli.add_command(users_group)
    app.cli.add_command(clients_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(tokens_group)
    app.cli.add_command(demo_command)
    from panda_portal.organizations.cli import customers_group

    app.cli.add_command(customers_group)


def _create_app(*_args, **_kwargs) -> Flask:
    from panda_portal import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(
        create_app=_create_app,
        add_default_commands=False,
        help="Panda portal: accounts, organizations and the OpenID Provider.",
    )
    cli.main(prog_name="panda")
