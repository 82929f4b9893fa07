"""The use cases of personal accounts, shared by the views and the command line.

Services flush but never commit. Every change to an account passes through
``_record``, the one place where the audit log hooks in. No function here tells
its caller whether an address is registered when the caller could show that to
someone who does not own the address: ``register``, ``request_password_reset`` and
``resend_verification`` return nothing and always queue exactly one mail.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from panda_portal.accounts import emails, signals
from panda_portal.accounts.models import Account, AccountToken, is_plausible_email, normalize_email
from panda_portal.accounts.passwords import (burn_verification_time, hash_password, needs_rehash,
                                             password_problem, verify_password)
from panda_portal.accounts.session import end_all_sessions
from panda_portal.extensions import db
from shared.database import utcnow
from shared.i18n import LANGUAGES
from shared.web import safe_next

log = logging.getLogger(__name__)


# -- errors ------------------------------------------------------------------------------
class AccountError(Exception):
    """A request about an account that cannot be done, with a sentence for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WeakPasswordError(AccountError):
    pass


class InvalidEmailError(AccountError):
    pass


class EmailTakenError(AccountError):
    pass


class WrongPasswordError(AccountError):
    pass


class AccountNotFoundError(AccountError):
    pass


class UnverifiedAccountError(AccountError):
    """The password was right, but the address is not confirmed yet."""

    def __init__(self, account: Account) -> None:
        super().__init__(_("Your e-mail address is not confirmed yet. Open the link we sent you, "
                           "or ask for a new one."))
        self.account = account


class DisabledAccountError(AccountError):
    def __init__(self) -> None:
        super().__init__(_("This account has been disabled. Please contact support."))


class InvalidLinkError(AccountError):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"

    def __init__(self, reason: str, purpose: str) -> None:
        messages = {
            self.EXPIRED: _("This link has expired."),
            self.USED: _("This link has already been used."),
        }
        super().__init__(messages.get(reason, _("This link is not valid.")))
        self.reason = reason
        self.purpose = purpose


@dataclass(frozen=True)
class UsedLink:
    account: Account
    next_path: str | None


# -- the one place where changes are recorded -------------------------------------------
def _record(action: str, account: Account, *, actor: Account | None, **details: object) -> None:
    log.info("account %s: %s by %s%s", account.id, action, actor.id if actor else "-",
             f" {details}" if details else "")
    from panda_portal.audit.services import record

    record(f"account.{action}", actor=actor, actor_label=None if actor else _self_or_operator(action, account),
           target_type="account", target_id=account.id, subject_account_id=account.id,
           after=details or None)
    signals.account_changed.send(current_app._get_current_object(), account=account, action=action,
                                 actor=actor, details=details)


def _self_or_operator(action: str, account: Account) -> str:
    """Without a signed-in actor a change comes from the person's own link or form, or the CLI."""
    if action in {"created", "disabled", "enabled", "support_agent_set", "support_agent_unset"}:
        return "operator (command line)"
    return f"{account.name} <{account.email}>"


# -- helpers -----------------------------------------------------------------------------
def _language(code: str | None) -> str:
    return code if code in LANGUAGES else "en"


def _check_password(password: str, *, email: str, name: str) -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise WeakPasswordError(problem)


def _set_password(account: Account, password: str) -> None:
    account.password_hash = hash_password(password)
    account.password_changed_at = utcnow()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _insert(account: Account) -> bool:
    """Add a new account; False when its address was taken meanwhile (the database decides)."""
    try:
        with db.session.begin_nested():
            db.session.add(account)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def find_account(email: str) -> Account | None:
    address = normalize_email(email or "")
    if not address:
        return None
    return db.session.execute(select(Account).where(Account.email == address)).scalar_one_or_none()


def get_account(email: str) -> Account:
    account = find_account(email)
    if account is None:
        raise AccountNotFoundError(_("No account uses %(email)s.", email=normalize_email(email or "")))
    return account


# -- single-use links --------------------------------------------------------------------
def _issue_link(account: Account, purpose: str, lifetime: dt.timedelta, next_path: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    next_path = safe_next(next_path, "") or None
    if next_path and len(next_path) > 2000:
        next_path = None
    db.session.add(AccountToken(account=account, purpose=purpose, token_hash=_digest(token),
                                expires_at=utcnow() + lifetime, next_path=next_path))
    db.session.flush()
    return token


def _expire_links(account: Account, purpose: str) -> None:
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.account_id == account.id, AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def check_link(token: str, purpose: str) -> AccountToken:
    """The unused, unexpired link for ``token``; raises ``InvalidLinkError`` otherwise."""
    if not token or len(token) > 128:
        raise InvalidLinkError(InvalidLinkError.UNKNOWN, purpose)
    row = db.session.execute(
        select(AccountToken).where(AccountToken.token_hash == _digest(token), AccountToken.purpose == purpose)
    ).scalar_one_or_none()
    if row is None or row.account.disabled_at is not None:
        raise InvalidLinkError(InvalidLinkError.UNKNOWN, purpose)
    if row.used_at is not None:
        raise InvalidLinkError(InvalidLinkError.USED, purpose)
    if row.expires_at <= utcnow():
        raise InvalidLinkError(InvalidLinkError.EXPIRED, purpose)
    return row


def _use_link(token: str, purpose: str) -> AccountToken:
    row = check_link(token, purpose)
    # Compare-and-set: of two requests racing with the same link only one updates the row.
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise InvalidLinkError(InvalidLinkError.USED, purpose)
    # Older links of the same kind die with it.
    _expire_links(row.account, purpose)
    db.session.refresh(row)
    return row


# -- registration and verification -------------------------------------------------------
def register(email: str, name: str, password: str, language: str, *, next_path: str | None = None) -> None:
    """Create an unconfirmed account and mail a confirmation link.

    When the address already has an account, its owner is told by mail instead;
    the caller cannot tell the two apart.
    """
    address = normalize_email(email)
    name = name.strip()
    language = _language(language)
    if not is_plausible_email(address):
        raise InvalidEmailError(_("Enter a valid e-mail address."))
    _check_password(password, email=address, name=name)
    # Hash before looking the address up, so a taken address answers as slowly as a free one.
    password_hash = hash_password(password)
    existing = find_account(address)
    if existing is None:
        account = Account(email=address, name=name, language=language, password_hash=password_hash,
                          password_changed_at=utcnow())
        if _insert(account):
            token = _issue_link(account, AccountToken.VERIFY,
                                dt.timedelta(hours=int(current_app.config["VERIFICATION_LINK_HOURS"])),
                                next_path)
            emails.send_verification(account, token)
            _record("registered", account, actor=None)
            return
        existing = find_account(address)
        if existing is None:  # pragma: no cover - the insert failed for another reason
            raise EmailTakenError(_("This e-mail address cannot be used."))
    emails.send_already_registered(existing)


def resend_verification(email: str, *, locale: str | None = None, next_path: str | None = None) -> None:
    """Mail a new confirmation link, or say by mail why there is none."""
    address = normalize_email(email)
    account = find_account(address)
    if account is None:
        if is_plausible_email(address):
            emails.send_no_account(address, locale=locale, requested="verify")
        return
    if account.disabled_at is not None:
        log.info("account %s: confirmation link not sent, account disabled", account.id)
        return
    if account.is_verified:
        emails.send_already_verified(account)
        return
    token = _issue_link(account, AccountToken.VERIFY,
                        dt.timedelta(hours=int(current_app.config["VERIFICATION_LINK_HOURS"])), next_path)
    emails.send_verification(account, token)


def verify_email(token: str) -> UsedLink:
    """Confirm the address the link was sent to; raises ``InvalidLinkError``."""
    row = _use_link(token, AccountToken.VERIFY)
    account = row.account
    if account.email_verified_at is None:
        account.email_verified_at = utcnow()
        _record("email_verified", account, actor=None)
    return UsedLink(account, row.next_path)


# -- signing in --------------------------------------------------------------------------
def authenticate(email: str, password: str) -> Account | None:
    """The account when the password is right, else ``None``.

    Only after the right password does it say more: ``UnverifiedAccountError`` or
    ``DisabledAccountError``. An unknown address costs the same hashing time as a
    wrong password.
    """
    account = find_account(email)
    if account is None or not account.password_hash:
        burn_verification_time(password)
        return None
    if not verify_password(account.password_hash, password):
        return None
    if needs_rehash(account.password_hash):
        # Stronger hashing parameters take effect as people sign in; not a password change.
        account.password_hash = hash_password(password)
    if account.disabled_at is not None:
        raise DisabledAccountError()
    if not account.is_verified:
        raise UnverifiedAccountError(account)
    return account


# -- passwords ---------------------------------------------------------------------------
def request_password_reset(email: str, *, locale: str | None = None) -> None:
    """Mail a single-use reset link, or say by mail that no account uses the address."""
    address = normalize_email(email)
    account = find_account(address)
    if account is None:
        if is_plausible_email(address):
            emails.send_no_account(address, locale=locale, requested="reset")
        return
    if account.disabled_at is not None:
        log.info("account %s: reset link not sent, account disabled", account.id)
        return
    token = _issue_link(account, AccountToken.RESET,
                        dt.timedelta(minutes=int(current_app.config["PASSWORD_RESET_LINK_MINUTES"])))
    emails.send_password_reset(account, token)


def reset_password(token: str, new_password: str) -> Account:
    """Set a new password through a mailed link; every session of the account ends."""
    account = check_link(token, AccountToken.RESET).account
    _check_password(new_password, email=account.email, name=account.name)
    _use_link(token, AccountToken.RESET)
    _set_password(account, new_password)
    if account.email_verified_at is None:
        # The link reached the mailbox: that confirms the address as well.
        account.email_verified_at = utcnow()
    signals.password_changed.send(current_app._get_current_object(), account=account)
    end_all_sessions(account)
    emails.send_password_changed(account, reset=True)
    _record("password_reset", account, actor=None)
    return account


def change_password(account: Account, current: str, new: str, *, actor: Account | None) -> None:
    """Change the password knowing the current one.

    The caller ends the account's other sessions (``end_all_sessions(account,
    keep_current=True)``): only it knows which session is the current one.
    """
    if not verify_password(account.password_hash, current):
        raise WrongPasswordError(_("Your current password is not correct."))
    _check_password(new, email=account.email, name=account.name)
    _set_password(account, new)
    # A reset link mailed before the change must not undo it.
    _expire_links(account, AccountToken.RESET)
    signals.password_changed.send(current_app._get_current_object(), account=account)
    emails.send_password_changed(account, reset=False)
    _record("password_changed", account, actor=actor)


# -- profile and administration ----------------------------------------------------------
def update_profile(account: Account, name: str, language: str, *, actor: Account | None) -> None:
    name = name.strip()
    if not name:
        raise AccountError(_("Enter your name."))
    changed = {}
    if name != account.name:
        changed["name"] = name
    if _language(language) != account.language:
        changed["language"] = _language(language)
    if not changed:
        return
    for field, value in changed.items():
        setattr(account, field, value)
    db.session.flush()
    _record("profile_updated", account, actor=actor, **changed)


def create_account(email: str, name: str, password: str, language: str = "en", *, verified: bool,
                   support_agent: bool = False, actor: Account | None = None) -> Account:
    """An account made by an operator (command line, demo data): errors are told, not hidden."""
    address = normalize_email(email)
    name = name.strip()
    if not is_plausible_email(address):
        raise InvalidEmailError(_("%(email)s is not a valid e-mail address.", email=address))
    if not name:
        raise AccountError(_("Enter a name."))
    if find_account(address) is not None:
        raise EmailTakenError(_("An account with the address %(email)s already exists.", email=address))
    _check_password(password, email=address, name=name)
    now = utcnow()
    account = Account(email=address, name=name, language=_language(language), password_hash=hash_password(password),
                      password_changed_at=now, email_verified_at=now if verified else None,
                      is_support_agent=support_agent)
    if not _insert(account):
        raise EmailTakenError(_("An account with the address %(email)s already exists.", email=address))
    _record("created", account, actor=actor, verified=verified, support_agent=support_agent)
    return account


def disable_account(account: Account, *, actor: Account | None) -> None:
    """Stop the account from signing in; its sessions end at once."""
    if account.disabled_at is not None:
        return
    account.disabled_at = utcnow()
    db.session.flush()
    signals.account_disabled.send(current_app._get_current_object(), account=account)
    end_all_sessions(account)
    _record("disabled", account, actor=actor)


def enable_account(account: Account, *, actor: Account | None) -> None:
    if account.disabled_at is None:
        return
    account.disabled_at = None
    db.session.flush()
    _record("enabled", account, actor=actor)


def set_support_agent(account: Account, enabled: bool, *, actor: Account | None) -> None:
    if account.is_support_agent == enabled:
        return
    account.is_support_agent = enabled
    db.session.flush()
    _record("support_agent_set" if enabled else "support_agent_unset", account, actor=actor)
