"""``community mail fetch|listen|failed|retry``: replies by e-mail, stored first, then handled."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
from collections.abc import Iterator

import click
from flask import current_app
from flask.cli import AppGroup

mail_group = AppGroup("mail", help="Replies by e-mail: reading the mailbox, and what could not be handled.")


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event SIGTERM and SIGINT set: the work in hand is finished, then the command returns."""
    stopping = threading.Event()
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    for number in previous:
        signal.signal(number, lambda *_: stopping.set())
    try:
        yield stopping
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@mail_group.command("fetch")
@click.option("--once", is_flag=True, help="Read the mailbox and handle what came in once, then stop.")
@click.option(
    "--interval",
    type=float,
    default=None,
    help="Seconds between two reads of the mailbox when the server offers no IDLE "
    "(default: COMMUNITY_IMAP_POLL_SECONDS).",
)
def fetch_command(once: bool, interval: float | None) -> None:
    """Store the replies in the IMAP mailbox (then delete them there) and add them to their cases.

    Runs until SIGTERM or Ctrl-C, waiting for new mail with IMAP IDLE when the server offers it.
    """
    from support_community.inbound.receiving import MailboxError, work

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _stop_on_signals() as stopping:
        if not once:
            click.echo("Reading replies from the mailbox; Ctrl-C to stop.")
        try:
            work(app, once=once, interval=interval, should_stop=stopping.is_set)
        except MailboxError as error:
            raise click.ClickException(str(error)) from None


@mail_group.command("listen")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=2525, show_default=True, help="SMTP port.")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between two rounds.")
def listen_command(host: str, port: int, interval: float) -> None:
    """Development: receive replies over SMTP (no TLS, no login) and add them to their cases."""
    from support_community.inbound.processing import process_due
    from support_community.inbound.receiving import listen

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["APP_ENV"] == "production":
        raise click.ClickException("`community mail listen` is for development; production reads IMAP (mail fetch)")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO
    try:
        controller = listen(app, host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    click.echo(f"Receiving replies over SMTP on {host}:{port}; Ctrl-C to stop.")
    try:
        with _stop_on_signals() as stopping:
            while not stopping.is_set():
                try:
                    process_due(should_stop=stopping.is_set)
                except Exception as error:  # the database is away: the stored mail waits
                    from support_community.extensions import db

                    db.session.rollback()
                    click.echo(f"handling stored mail failed: {error}", err=True)
                stopping.wait(interval)
    finally:
        controller.stop()


@mail_group.command("failed")
@click.option("--limit", default=100, show_default=True, help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per mail.")
def failed_command(limit: int, as_json: bool) -> None:
    """List the mails that could never be handled (newest first), for an agent to read."""
    from support_community.inbound.processing import failed

    rows = failed(limit)
    for row in rows:
        handled = f"{row.handled_at:%Y-%m-%d %H:%M}Z" if row.handled_at else ""
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": row.id,
                        "from": row.sender,
                        "subject": row.subject,
                        "received_at": row.received_at.isoformat(),
                        "attempts": row.attempts,
                        "error": row.last_error,
                    }
                )
            )
        else:
            click.echo(
                f"{row.id}\t{row.sender or '(unknown sender)'}\t{row.subject or '(no subject)'}\t"
                f"{row.attempts} attempt(s)\t{handled}\t{row.last_error or ''}"
            )
    if not as_json:
        click.echo(f"{len(rows)} failed mail(s).")


@mail_group.command("show")
@click.argument("message_id", type=int)
def show_command(message_id: int) -> None:
    """Print a stored mail as it arrived (its source)."""
    from support_community.extensions import db
    from support_community.inbound.models import InboundMessage

    row = db.session.get(InboundMessage, message_id)
    if row is None:
        raise click.ClickException(f"{message_id}: no stored mail with this id")
    click.echo(row.raw.decode("utf-8", "replace"))


@mail_group.command("retry")
@click.argument("message_ids", nargs=-1, type=int, required=True)
def retry_command(message_ids: tuple[int, ...]) -> None:
    """Handle failed mails again (after fixing what stopped them), with a fresh set of attempts."""
    from support_community.extensions import db
    from support_community.inbound.processing import retry

    unknown = [message_id for message_id in message_ids if not retry(message_id)]
    db.session.commit()
    for message_id in unknown:
        click.echo(f"{message_id}: no failed mail with this id", err=True)
    click.echo(f"{len(message_ids) - len(unknown)} mail(s) queued again.")
    if unknown:
        raise SystemExit(1)
