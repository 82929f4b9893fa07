"""The mails about a person's personal access tokens: one was made, one expires soon."""

from __future__ import annotations

from panda_portal.accounts.emails import account_links, issuer
from panda_portal.accounts.models import Account
from panda_portal.outbox.services import outbox
from panda_portal.personal_tokens.models import PersonalAccessToken
from shared.outbox.rendering import queue_mail


def _token_context(account: Account, token: PersonalAccessToken) -> dict[str, str]:
    return {
        "person_name": account.name,
        "token_name": token.name,
        "scope": token.scope,
        "expires_on": token.expires_at.date().isoformat(),
        "tokens_url": f"{issuer()}/account/tokens",
    }


def send_token_expiring(account: Account, token: PersonalAccessToken) -> None:
    """A token expires within days: whatever uses it stops then, unless its owner makes a new one."""
    queue_mail(
        outbox,
        "personal_token_expiring",
        to=account.email,
        locale=account.language,
        **_token_context(account, token),
        **account_links(),
    )


def send_token_created(account: Account, token: PersonalAccessToken) -> None:
    """A new token can act in the person's name: they must notice one that was not theirs."""
    queue_mail(
        outbox,
        "personal_token_created",
        to=account.email,
        locale=account.language,
        **_token_context(account, token),
        **account_links(),
    )
