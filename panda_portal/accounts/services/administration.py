"""Accounts managed by an operator (command line, demo data): errors are told, not hidden."""

from __future__ import annotations

from flask_babel import gettext as _

from panda_portal.accounts import signals
from panda_portal.accounts.models import Account, is_plausible_email, normalize_email
from panda_portal.accounts.services.errors import AccountError, EmailTakenError, InvalidEmailError
from panda_portal.accounts.services.hashing import new_password_hash
from panda_portal.accounts.services.history import record_change
from panda_portal.accounts.services.lookup import find_account, insert_account, supported_language
from panda_portal.accounts.services.passwords import check_password_strength
from panda_portal.accounts.services.profile import check_name
from panda_portal.accounts.session import end_all_sessions
from panda_portal.extensions import db
from shared.database import utcnow


def create_account(
    email: str,
    name: str,
    password: str,
    language: str = "en",
    *,
    verified: bool,
    support_agent: bool = False,
    actor: Account | None = None,
) -> Account:
    """An account made by an operator, confirmed or not, a support agent or not."""
    address = normalize_email(email)
    name = name.strip()
    if not is_plausible_email(address):
        raise InvalidEmailError(_("%(email)s is not a valid e-mail address.", email=address), field="email")
    if not name:
        raise AccountError(_("Enter a name."), field="name")
    check_name(name)
    if find_account(address) is not None:
        raise EmailTakenError(_("An account with the address %(email)s already exists.", email=address), field="email")
    check_password_strength(password, email=address, name=name)
    password_hash = new_password_hash(password)
    now = utcnow()
    account = Account(
        email=address,
        name=name,
        language=supported_language(language),
        password_hash=password_hash,
        password_changed_at=now,
        email_verified_at=now if verified else None,
        is_support_agent=support_agent,
    )
    if not insert_account(account):
        raise EmailTakenError(_("An account with the address %(email)s already exists.", email=address), field="email")
    record_change("created", account, actor=actor, verified=verified, support_agent=support_agent)
    return account


def disable_account(account: Account, *, actor: Account | None) -> None:
    """Stop the account from signing in; its sessions end at once."""
    if account.disabled_at is not None:
        return
    account.disabled_at = utcnow()
    db.session.flush()
    signals.announce(signals.account_disabled, account=account)
    end_all_sessions(account)
    record_change("disabled", account, actor=actor)


def enable_account(account: Account, *, actor: Account | None) -> None:
    if account.disabled_at is None:
        return
    account.disabled_at = None
    db.session.flush()
    record_change("enabled", account, actor=actor)


def set_support_agent(account: Account, enabled: bool, *, actor: Account | None) -> None:
    if account.is_support_agent == enabled:
        return
    account.is_support_agent = enabled
    db.session.flush()
    record_change("support_agent_set" if enabled else "support_agent_unset", account, actor=actor)
