"""Mails about registering and confirming an address."""

from __future__ import annotations

from flask import current_app

from panda_portal.accounts.emails import account_links, issuer
from panda_portal.accounts.models import Account
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def send_verification(account: Account, token: str, *, locale: str | None = None) -> None:
    queue_mail(
        outbox,
        "accounts_verify",
        to=account.email,
        locale=locale or account.language,
        person_name=account.name,
        link=f"{issuer()}/verify/{token}",
        hours=int(current_app.config["VERIFICATION_LINK_HOURS"]),
        **account_links(),
    )


def send_already_registered(account: Account) -> None:
    """Someone tried to register with an address that already has an account."""
    queue_mail(
        outbox,
        "accounts_already_registered",
        to=account.email,
        locale=account.language,
        person_name=account.name,
        verified=account.is_verified,
        **account_links(),
    )


def send_already_verified(account: Account) -> None:
    """A new confirmation link was asked for an address that is already confirmed."""
    queue_mail(
        outbox,
        "accounts_already_verified",
        to=account.email,
        locale=account.language,
        person_name=account.name,
        **account_links(),
    )


def send_no_account(address: str, *, locale: str | None, requested: str) -> None:
    """A link was asked for an address no account uses (``requested``: "reset" or "verify")."""
    queue_mail(
        outbox,
        "accounts_no_account",
        to=address,
        locale=locale,
        address=address,
        requested=requested,
        **account_links(),
    )
