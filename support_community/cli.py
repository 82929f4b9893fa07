"""``community``: the command line of the Support Community (a Flask CLI group)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.cli import FlaskGroup

from shared.cli import register_common_commands

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def register_commands(app: Flask) -> None:
    from support_community.extensions import db
    from support_community.outbox.services import outbox

    register_common_commands(app, db, MIGRATIONS_DIR, outbox)
    from support_community.cases.cli import attachments_group, cases_group, catalog_group, demo_command

    app.cli.add_command(cases_group)
    app.cli.add_command(catalog_group)
    app.cli.add_command(attachments_group)
    app.cli.add_command(demo_command)
    from support_community.kb.cli import kb_group

    app.cli.add_command(kb_group)
    from support_community.inbound.cli import mail_group

    app.cli.add_command(mail_group)
    from support_community.agents.cli import sla_group

    app.cli.add_command(sla_group)


def _create_app(*_args, **_kwargs) -> Flask:
    from support_community import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(
        create_app=_create_app,
        add_default_commands=False,
        help="Support Community: cases handled in the client's name.",
    )
    cli.main(prog_name="community")
