"""Changing the e-mail address: confirmed from the new address, undoable from the old one for 7 days.

1. ``request_change`` (the person, after a recent second factor or their password): a
   single-use link, valid ``VERIFICATION_LINK_HOURS``, goes to the new address. When the
   address already belongs to an account, its owner gets a mail saying so instead, and
   the person sees the same answer either way (no way to learn who has an account).
2. ``confirm_change`` (the link): the address changes; the old address is told, with a
   single-use link to undo it for ``UNDO_DAYS`` days. Password-reset links mailed to the
   old address stop working.
3. ``undo_change`` (the link in the old mailbox): the old address comes back, every
   session of the account ends (clients are told: back-channel logout) and a
   password-reset link goes to the old address.

Only the SHA-256 of each link is stored; each is used with a compare-and-set, so two
requests racing with the same link cannot both use it. Client applications read the
address from the next token (the ``email`` claim) or userinfo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from panda_portal.accounts import signals
from panda_portal.accounts.emails import passwords as password_mails
from panda_portal.accounts.emails import security as mails
from panda_portal.accounts.models import Account, AccountToken, EmailChange, is_plausible_email, normalize_email
from panda_portal.accounts.services.errors import AccountError, InvalidEmailError, InvalidLinkError
from panda_portal.accounts.services.history import record_change
from panda_portal.accounts.services.links import expire_links, issue_link
from panda_portal.accounts.services.lookup import find_account
from panda_portal.accounts.session import end_all_sessions
from panda_portal.extensions import db
from shared.database import rowcount, utcnow

UNDO_DAYS = 7
CONFIRM = "email_change"
UNDO = "email_undo"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hours() -> int:
    return int(current_app.config["VERIFICATION_LINK_HOURS"])


def request_change(account: Account, new_email: str, *, actor: Account) -> None:
    """Send the confirmation link to ``new_email`` (or, when it is taken, a notice to its owner)."""
    address = normalize_email(new_email)
    if not is_plausible_email(address):
        raise InvalidEmailError(_("Enter a valid e-mail address."), field="email")
    if address == account.email:
        raise InvalidEmailError(_("This is already your e-mail address."), field="email")
    # An earlier request that was not confirmed stops working.
    db.session.execute(
        update(EmailChange)
        .where(
            EmailChange.account_id == account.id,
            EmailChange.confirmed_at.is_(None),
            EmailChange.cancelled_at.is_(None),
        )
        .values(cancelled_at=utcnow())
    )
    owner = find_account(address)
    if owner is not None:
        mails.send_email_taken(account, address)
        record_change("email_change_refused", account, actor=actor, reason="address_taken")
        return
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        EmailChange(
            account_id=account.id,
            old_email=account.email,
            new_email=address,
            confirm_hash=_digest(token),
            requested_at=now,
            confirm_expires_at=now + dt.timedelta(hours=_hours()),
        )
    )
    db.session.flush()
    mails.send_email_change_confirmation(account, address, token, hours=_hours())
    record_change("email_change_requested", account, actor=actor)


def _find(
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None], token: str, purpose: str
) -> EmailChange:
    if not token or len(token) > 128:
        raise InvalidLinkError(InvalidLinkError.UNKNOWN, purpose)
    row = db.session.execute(select(EmailChange).where(column == _digest(token))).scalar_one_or_none()
    if row is None or row.account.disabled_at is not None:
        raise InvalidLinkError(InvalidLinkError.UNKNOWN, purpose)
    return row


def check_confirmation(token: str) -> EmailChange:
    """The pending change a confirmation link names (``InvalidLinkError`` when it cannot be used)."""
    row = _find(EmailChange.confirm_hash, token, CONFIRM)
    if row.confirmed_at is not None:
        raise InvalidLinkError(InvalidLinkError.USED, CONFIRM)
    if row.cancelled_at is not None or row.account.email != row.old_email:
        raise InvalidLinkError(InvalidLinkError.UNKNOWN, CONFIRM)
    if row.confirm_expires_at <= utcnow():
        raise InvalidLinkError(InvalidLinkError.EXPIRED, CONFIRM)
    return row


def confirm_change(token: str) -> Account:
    """The new address is confirmed: it becomes the account's, and the old address is told."""
    row = check_confirmation(token)
    claimed = rowcount(
        db.session.execute(
            update(EmailChange)
            .where(EmailChange.id == row.id, EmailChange.confirmed_at.is_(None), EmailChange.cancelled_at.is_(None))
            .values(confirmed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        raise InvalidLinkError(InvalidLinkError.USED, CONFIRM)
    account = row.account
    undo = secrets.token_urlsafe(32)
    try:
        with db.session.begin_nested():
            account.email = row.new_email
            db.session.flush()
    except IntegrityError as exc:
        # Someone registered the address between the request and the confirmation.
        raise AccountError(_("This address is now used by another account. Please choose another one.")) from exc
    db.session.execute(
        update(EmailChange)
        .where(EmailChange.id == row.id)
        .values(undo_hash=_digest(undo), undo_expires_at=utcnow() + dt.timedelta(days=UNDO_DAYS))
        .execution_options(synchronize_session=False)
    )
    # Links mailed to the old address must not act on the account any more.
    expire_links(account, AccountToken.RESET)
    expire_links(account, AccountToken.VERIFY)
    mails.send_email_changed(account, row.old_email, row.new_email, undo, days=UNDO_DAYS)
    record_change("email_changed", account, actor=None, old=row.old_email, new=row.new_email)
    return account


def check_undo(token: str) -> EmailChange:
    row = _find(EmailChange.undo_hash, token, UNDO)
    if row.undone_at is not None:
        raise InvalidLinkError(InvalidLinkError.USED, UNDO)
    if row.undo_expires_at is None or row.undo_expires_at <= utcnow():
        raise InvalidLinkError(InvalidLinkError.EXPIRED, UNDO)
    return row


def undo_change(token: str) -> Account:
    """Restore the old address, sign out everywhere and mail a password-reset link to the old address."""
    row = check_undo(token)
    claimed = rowcount(
        db.session.execute(
            update(EmailChange)
            .where(EmailChange.id == row.id, EmailChange.undone_at.is_(None))
            .values(undone_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        raise InvalidLinkError(InvalidLinkError.USED, UNDO)
    account = row.account
    try:
        with db.session.begin_nested():
            account.email = row.old_email
            db.session.flush()
    except IntegrityError as exc:
        raise AccountError(
            _("The old address is now used by another account, so it cannot be restored. Please contact support.")
        ) from exc
    # Every later change of address dies with it, as does every link mailed to the other address.
    db.session.execute(
        update(EmailChange)
        .where(EmailChange.account_id == account.id, EmailChange.confirmed_at.is_(None))
        .values(cancelled_at=utcnow())
    )
    expire_links(account, AccountToken.RESET)
    signals.announce(signals.sessions_revoked, account=account)
    end_all_sessions(account)
    reset = issue_link(
        account, AccountToken.RESET, dt.timedelta(minutes=int(current_app.config["PASSWORD_RESET_LINK_MINUTES"]))
    )
    password_mails.send_password_reset(account, reset)
    record_change("email_change_undone", account, actor=None, restored=row.old_email, dropped=row.new_email)
    return account
