"""``community kb seed``: the knowledge base's first article, in English, Dutch and French."""

from __future__ import annotations

import click
from flask.cli import AppGroup

kb_group = AppGroup("kb", help="The knowledge base: help articles in three languages.")


@kb_group.command("seed")
def seed_command() -> None:
    """Add the first article (how an accountant handles cases for clients), published. Safe to run again."""
    from support_community.extensions import db
    from support_community.kb.services.seed import seed_knowledge_base

    report = seed_knowledge_base()
    db.session.commit()
    click.echo(f"Knowledge base: {report.added} language version(s) added, {report.present} already there.")
