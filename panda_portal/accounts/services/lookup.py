"""Accounts by their e-mail address: find one, or add one when the address is free."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from panda_portal.accounts.models import Account, normalize_email
from panda_portal.accounts.services.errors import AccountNotFoundError
from panda_portal.extensions import db
from shared.i18n import LANGUAGES


def find_account(email: str) -> Account | None:
    address = normalize_email(email or "")
    if not address:
        return None
    return db.session.execute(select(Account).where(Account.email == address)).scalar_one_or_none()


def get_account(email: str) -> Account:
    """The account of ``email``, or ``AccountNotFoundError`` (for operators, who may know)."""
    account = find_account(email)
    if account is None:
        raise AccountNotFoundError(_("No account uses %(email)s.", email=normalize_email(email or "")))
    return account


def insert_account(account: Account) -> bool:
    """Add a new account; False when its address was taken meanwhile (the database decides)."""
    try:
        with db.session.begin_nested():
            db.session.add(account)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def supported_language(code: str | None) -> str:
    """``code`` when Panda speaks it, else English."""
    return code if code in LANGUAGES else "en"
