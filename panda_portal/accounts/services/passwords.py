"""Passwords: the rules a new one must meet, a reset through a mailed link, a change knowing the current one."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from flask_babel import gettext as _

from panda_portal.accounts import signals
from panda_portal.accounts.emails import passwords as mails
from panda_portal.accounts.emails import registration as registration_mails
from panda_portal.accounts.models import Account, AccountToken, is_plausible_email, normalize_email
from panda_portal.accounts.passwords import password_problem
from panda_portal.accounts.services.errors import WeakPasswordError, WrongPasswordError
from panda_portal.accounts.services.hashing import new_password_hash, password_matches
from panda_portal.accounts.services.history import record_change
from panda_portal.accounts.services.links import check_link, expire_links, issue_link, use_link
from panda_portal.accounts.services.lookup import find_account
from panda_portal.accounts.session import end_all_sessions
from shared.database import utcnow

log = logging.getLogger(__name__)


def check_password_strength(password: str, *, email: str, name: str, field: str = "password") -> None:
    """``WeakPasswordError`` (on the form field ``field``) when ``password`` breaks the rules."""
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise WeakPasswordError(problem, field=field)


def _store_password(account: Account, password_hash: str) -> None:
    account.password_hash = password_hash
    account.password_changed_at = utcnow()


def request_password_reset(email: str, *, locale: str | None = None) -> None:
    """Mail a single-use reset link, or say by mail that no account uses the address."""
    address = normalize_email(email)
    account = find_account(address)
    if account is None:
        if is_plausible_email(address):
            registration_mails.send_no_account(address, locale=locale, requested="reset")
        return
    if account.disabled_at is not None:
        log.info("account %s: reset link not sent, account disabled", account.id)
        return
    token = issue_link(
        account, AccountToken.RESET, dt.timedelta(minutes=int(current_app.config["PASSWORD_RESET_LINK_MINUTES"]))
    )
    mails.send_password_reset(account, token)


def reset_password(token: str, new_password: str) -> Account:
    """Set a new password through a mailed link; every session of the account ends."""
    account = check_link(token, AccountToken.RESET).account
    check_password_strength(new_password, email=account.email, name=account.name)
    password_hash = new_password_hash(new_password)  # before anything is written (services.hashing)
    use_link(token, AccountToken.RESET)
    _store_password(account, password_hash)
    if account.email_verified_at is None:
        # The link reached the mailbox: that confirms the address as well.
        account.email_verified_at = utcnow()
    signals.announce(signals.password_changed, account=account)
    end_all_sessions(account)
    mails.send_password_changed(account, reset=True)
    record_change("password_reset", account, actor=None)
    return account


def change_password(account: Account, current: str, new: str, *, actor: Account | None) -> None:
    """Change the password knowing the current one.

    The caller ends the account's other sessions (``end_all_sessions(account,
    keep_current=True)``): only it knows which session is the current one.
    """
    if not password_matches(account.password_hash, current):
        raise WrongPasswordError(_("Your current password is not correct."), field="current_password")
    check_password_strength(new, email=account.email, name=account.name, field="new_password")
    _store_password(account, new_password_hash(new))
    # A reset link mailed before the change must not undo it.
    expire_links(account, AccountToken.RESET)
    signals.announce(signals.password_changed, account=account)
    mails.send_password_changed(account, reset=False)
    record_change("password_changed", account, actor=actor)
