"""Registering an account and confirming its address."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from flask_babel import gettext as _

from panda_portal.accounts.emails import registration as mails
from panda_portal.accounts.models import Account, AccountToken, is_plausible_email, normalize_email
from panda_portal.accounts.services.errors import EmailTakenError, InvalidEmailError
from panda_portal.accounts.services.hashing import new_password_hash
from panda_portal.accounts.services.history import record_change
from panda_portal.accounts.services.links import UsedLink, issue_link, use_link
from panda_portal.accounts.services.lookup import find_account, insert_account, supported_language
from panda_portal.accounts.services.passwords import check_password_strength
from panda_portal.accounts.services.profile import check_name
from shared.database import utcnow

log = logging.getLogger(__name__)


def register(email: str, name: str, password: str, language: str, *, next_path: str | None = None) -> None:
    """Create an unconfirmed account and mail a confirmation link.

    When the address already has an account, its owner is told by mail instead;
    the caller cannot tell the two apart.
    """
    address = normalize_email(email)
    name = name.strip()
    language = supported_language(language)
    if not is_plausible_email(address):
        raise InvalidEmailError(_("Enter a valid e-mail address."), field="email")
    check_name(name)
    check_password_strength(password, email=address, name=name)
    # Hash before looking the address up, so a taken address answers as slowly as a free one,
    # and before anything is written (services.hashing).
    password_hash = new_password_hash(password)
    existing = find_account(address)
    if existing is None:
        account = Account(
            email=address, name=name, language=language, password_hash=password_hash, password_changed_at=utcnow()
        )
        if insert_account(account):
            token = issue_link(account, AccountToken.VERIFY, _verification_lifetime(), next_path)
            mails.send_verification(account, token)
            record_change("registered", account, actor=None)
            return
        existing = find_account(address)
        if existing is None:  # pragma: no cover - the insert failed for another reason
            raise EmailTakenError(_("This e-mail address cannot be used."), field="email")
    mails.send_already_registered(existing)


def resend_verification(email: str, *, locale: str | None = None, next_path: str | None = None) -> None:
    """Mail a new confirmation link, or say by mail why there is none."""
    address = normalize_email(email)
    account = find_account(address)
    if account is None:
        if is_plausible_email(address):
            mails.send_no_account(address, locale=locale, requested="verify")
        return
    if account.disabled_at is not None:
        log.info("account %s: confirmation link not sent, account disabled", account.id)
        return
    if account.is_verified:
        mails.send_already_verified(account)
        return
    token = issue_link(account, AccountToken.VERIFY, _verification_lifetime(), next_path)
    mails.send_verification(account, token)


def verify_email(token: str) -> UsedLink:
    """Confirm the address the link was sent to; raises ``InvalidLinkError``."""
    row = use_link(token, AccountToken.VERIFY)
    account = row.account
    if account.email_verified_at is None:
        account.email_verified_at = utcnow()
        record_change("email_verified", account, actor=None)
    return UsedLink(account, row.next_path)


def _verification_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=int(current_app.config["VERIFICATION_LINK_HOURS"]))
