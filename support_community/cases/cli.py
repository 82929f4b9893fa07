"""``community catalog import``, ``community demo``, ``community attachments purge``, ``community cases recount``
and ``community cases reindex``."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

catalog_group = AppGroup("catalog", help="The products and categories cases are about.")
attachments_group = AppGroup("attachments", help="Stored attachment files.")


@catalog_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
def import_command(path: str) -> None:
    """Add or update products and categories from FILE.json or FILE.csv (names in en, nl, fr).

    Nothing is deleted: set "active" to no to take a product or category out of the choices.
    """
    from support_community.cases.services.catalog_import import CatalogFileError, import_catalog, parse_catalog
    from support_community.extensions import db

    try:
        with open(path, "rb") as handle:
            content = handle.read()
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from None
    try:
        report = import_catalog(parse_catalog(path, content))
        db.session.commit()
    except CatalogFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{path}: {error}") from None
    click.echo(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged.")


@click.command("demo")
@click.option(
    "--scale",
    type=click.IntRange(min=1, max=100_000),
    default=None,
    help="Also create the accountant many.clients@example.be with N client organizations "
    "(the same ones `panda demo --scale N` makes).",
)
@click.option(
    "--cases",
    type=click.IntRange(min=0, max=5_000_000),
    default=None,
    help="With --scale: how many cases to spread over those clients (default: three per client).",
)
def demo_command(scale: int | None, cases: int | None) -> None:
    """Load the demo products and categories, and the knowledge base's first article (safe to run again).

    With --scale N [--cases M], also the accountant with many clients and M cases over them (only what is missing).
    """
    from support_community.cases.services.demo_data import load_demo
    from support_community.extensions import db
    from support_community.kb.services.seed import seed_knowledge_base

    if cases is not None and scale is None:
        raise click.UsageError("--cases needs --scale")
    report = load_demo()
    articles = seed_knowledge_base()
    db.session.commit()
    click.echo(f"Demo catalog: {report.added} added, {report.updated} updated, {report.unchanged} unchanged.")
    click.echo(f"Knowledge base: {articles.added} language version(s) of the first article added.")
    if scale is None:
        return
    from shared import demo_scale
    from support_community.cases.services.demo_scale import load_scale

    scaled = load_scale(scale, 3 * scale if cases is None else cases)
    db.session.commit()
    kept = (
        "Panda's list kept (read at sign-in)"
        if scaled.list_from_panda
        else f"{scaled.organizations_added} organization(s) added"
    )
    click.echo(
        f"{demo_scale.EMAIL}: {scaled.organizations} client organizations with the Support Community ({kept}); "
        f"{scaled.cases_added} case(s) added, {scaled.cases_total} in all."
    )


@attachments_group.command("purge")
@click.option(
    "--older-than-hours",
    default=24,
    show_default=True,
    type=click.IntRange(min=1),
    help="Leave younger files alone (their upload may still be in progress).",
)
def purge_command(older_than_hours: int) -> None:
    """Delete stored files that no attachment names (left by a process that stopped mid-upload)."""
    from support_community.cases.services.attachments import purge_orphans

    removed = purge_orphans(older_than=dt.timedelta(hours=older_than_hours))
    click.echo(f"{removed} unreferenced file(s) deleted.")


cases_group = AppGroup("cases", help="Cases.")


@cases_group.command("recount")
def recount_command() -> None:
    """Count the cases again, from the cases: per organization and status (the lists' totals) and per
    assignee and status (the agents' queue)."""
    from support_community.cases.services import queue
    from support_community.cases.services.status_counts import recount
    from support_community.extensions import db

    report = recount()
    queue_corrected = queue.recount()
    db.session.commit()
    click.echo(
        f"{report.cases} case(s) of {report.organizations} organization(s) counted; "
        f"{report.corrected + queue_corrected} count(s) corrected."
    )


@cases_group.command("reindex")
def reindex_command() -> None:
    """Write every case's search document again, from the cases and their messages (the searches read them)."""
    from support_community.cases.search_index import reindex
    from support_community.extensions import db

    count = reindex()
    db.session.commit()
    click.echo(f"{count} case(s) indexed for search.")
