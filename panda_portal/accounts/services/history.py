"""The one place where a change to an account is recorded: the log line and the audit event."""

from __future__ import annotations

import logging

from panda_portal.accounts.models import Account
from panda_portal.audit.services import record

log = logging.getLogger(__name__)

# Changes made without a signed-in actor by an operator (the command line, demo data); other
# changes without one come from the person's own link or form.
OPERATOR_ACTIONS = frozenset({"created", "disabled", "enabled", "support_agent_set", "support_agent_unset"})


def record_change(action: str, account: Account, *, actor: Account | None, **details: object) -> None:
    """Record ``action`` on ``account`` in the audit log, in the transaction of the change.

    ``actor`` is the signed-in person who acted, or ``None``: the person themselves
    through a mailed link or a registration form, or an operator at the command line.
    """
    log.info("account %s: %s by %s%s", account.id, action, actor.id if actor else "-", f" {details}" if details else "")
    record(
        f"account.{action}",
        actor=actor,
        actor_label=None if actor else _self_or_operator(action, account),
        target_type="account",
        target_id=account.id,
        subject_account_id=account.id,
        after=details or None,
    )


def _self_or_operator(action: str, account: Account) -> str:
    if action in OPERATOR_ACTIONS:
        return "operator (command line)"
    return f"{account.name} <{account.email}>"
