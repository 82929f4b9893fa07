"""Mails about passwords: the reset link, and the notice that the password changed."""

from __future__ import annotations

from flask import current_app

from panda_portal.accounts.emails import account_links, issuer
from panda_portal.accounts.models import Account
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def send_password_reset(account: Account, token: str) -> None:
    minutes = int(current_app.config["PASSWORD_RESET_LINK_MINUTES"])
    queue_mail(
        outbox,
        "accounts_reset_password",
        to=account.email,
        locale=account.language,
        person_name=account.name,
        link=f"{issuer()}/reset-password/{token}",
        minutes=minutes,
        **account_links(),
    )


def send_password_changed(account: Account, *, reset: bool) -> None:
    """Tell the owner, so a change they did not make does not go unnoticed."""
    queue_mail(
        outbox,
        "accounts_password_changed",
        to=account.email,
        locale=account.language,
        person_name=account.name,
        reset=reset,
        **account_links(),
    )
