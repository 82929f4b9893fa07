"""The mails about accounts, queued in the outbox in the recipient's language.

Links are absolute and built from ``PANDA_ISSUER``: a mail is read outside the site.
"""
from __future__ import annotations

from flask import current_app

from panda_portal.accounts.models import Account
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def _issuer() -> str:
    return current_app.config["PANDA_ISSUER"].rstrip("/")


def _links() -> dict[str, str]:
    issuer = _issuer()
    return {
        "sign_in_url": f"{issuer}/sign-in",
        "register_url": f"{issuer}/register",
        "forgot_password_url": f"{issuer}/forgot-password",
        "resend_url": f"{issuer}/resend-verification",
    }


def send_verification(account: Account, token: str, *, locale: str | None = None) -> None:
    queue_mail(outbox, "accounts_verify", to=account.email, locale=locale or account.language,
               person_name=account.name, link=f"{_issuer()}/verify/{token}",
               hours=int(current_app.config["VERIFICATION_LINK_HOURS"]), **_links())


def send_already_registered(account: Account) -> None:
    """Someone tried to register with an address that already has an account."""
    queue_mail(outbox, "accounts_already_registered", to=account.email, locale=account.language,
               person_name=account.name, verified=account.is_verified, **_links())


def send_already_verified(account: Account) -> None:
    """A new confirmation link was asked for an address that is already confirmed."""
    queue_mail(outbox, "accounts_already_verified", to=account.email, locale=account.language,
               person_name=account.name, **_links())


def send_no_account(address: str, *, locale: str | None, requested: str) -> None:
    """A link was asked for an address no account uses (``requested``: "reset" or "verify")."""
    queue_mail(outbox, "accounts_no_account", to=address, locale=locale,
               address=address, requested=requested, **_links())


def send_password_reset(account: Account, token: str) -> None:
    minutes = int(current_app.config["PASSWORD_RESET_LINK_MINUTES"])
    queue_mail(outbox, "accounts_reset_password", to=account.email, locale=account.language,
               person_name=account.name, link=f"{_issuer()}/reset-password/{token}",
               minutes=minutes, **_links())


def send_password_changed(account: Account, *, reset: bool) -> None:
    """Tell the owner, so a change they did not make does not go unnoticed."""
    queue_mail(outbox, "accounts_password_changed", to=account.email, locale=account.language,
               person_name=account.name, reset=reset, **_links())
