"""Mails about two-step verification, queued in the outbox in the person's language."""

from __future__ import annotations

from typing import Any

from panda_portal.accounts.emails import account_links, issuer
from panda_portal.accounts.models import Account
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def _links() -> dict[str, Any]:
    return {**account_links(), "two_step_url": f"{issuer()}/account/two-step"}


def send_two_step_disabled(account: Account) -> None:
    """Two-step verification was turned off: a change the owner must notice if it was not theirs."""
    queue_mail(outbox, "mfa_disabled", to=account.email, locale=account.language, person_name=account.name, **_links())


def send_recovery_code_used(account: Account, *, left: int) -> None:
    """A recovery code opened the account: the owner learns of it, and how many codes are left."""
    queue_mail(
        outbox,
        "mfa_recovery_code_used",
        to=account.email,
        locale=account.language,
        person_name=account.name,
        left=left,
        **_links(),
    )
