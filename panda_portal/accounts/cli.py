"""``panda users …``: accounts managed by an operator."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from panda_portal.accounts.services.administration import (
    create_account,
    disable_account,
    enable_account,
    set_support_agent,
)
from panda_portal.accounts.services.lookup import get_account
from panda_portal.extensions import db
from shared.errors import DomainError
from shared.i18n import LANGUAGES

# AppGroup runs every command inside the application context (flask.cli.with_appcontext).
users_group = AppGroup("users", help="Personal accounts: add, disable, enable, support agents.")


def _operator_command(command: Callable[..., Any]) -> Callable[..., Any]:
    """Messages in English, domain errors as a clean error line and a non-zero exit, commit on success."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        with force_locale("en"):
            try:
                result = command(*args, **kwargs)
            except DomainError as error:
                db.session.rollback()
                raise click.ClickException(str(error)) from None
            db.session.commit()
            return result

    return run


def _read_password() -> str:
    # The first line, as `echo` or a password manager's pipe gives it; spaces are kept.
    lines = sys.stdin.read().splitlines()
    return lines[0] if lines else ""


@users_group.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The person's name.")
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="Read the password from standard input (never from the command line).",
)
@click.option("--verified", is_flag=True, help="Mark the e-mail address as confirmed.")
@click.option("--support-agent", is_flag=True, help="Vendor staff: sees the support queue.")
@click.option("--language", type=click.Choice(LANGUAGES), default="en", show_default=True)
@_operator_command
def add_user(email: str, name: str, password_stdin: bool, verified: bool, support_agent: bool, language: str) -> None:
    """Create the account EMAIL."""
    if not password_stdin:
        raise click.UsageError("Give --password-stdin and the password on standard input.")
    account = create_account(
        email, name, _read_password(), language, verified=verified, support_agent=support_agent, actor=None
    )
    state = "confirmed" if verified else "not confirmed yet"
    role = ", support agent" if support_agent else ""
    click.echo(f"Account {account.email} created ({state}{role}).")


@users_group.command("disable")
@click.argument("email")
@_operator_command
def disable_user(email: str) -> None:
    """Stop EMAIL from signing in and end its sessions."""
    account = get_account(email)
    disable_account(account, actor=None)
    click.echo(f"Account {account.email} disabled; its sessions have ended.")


@users_group.command("enable")
@click.argument("email")
@_operator_command
def enable_user(email: str) -> None:
    """Let EMAIL sign in again."""
    account = get_account(email)
    enable_account(account, actor=None)
    click.echo(f"Account {account.email} enabled.")


@users_group.command("set-support-agent")
@click.argument("email")
@click.option("--on/--off", "enabled", required=True, help="Give or take the support agent role.")
@_operator_command
def set_user_support_agent(email: str, enabled: bool) -> None:
    """Make EMAIL a support agent (--on) or not (--off)."""
    account = get_account(email)
    set_support_agent(account, enabled, actor=None)
    click.echo(f"Account {account.email} is {'now' if enabled else 'no longer'} a support agent.")
