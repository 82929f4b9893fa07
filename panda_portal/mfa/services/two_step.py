"""Two-step verification of an account: turned on with a code, turned off, recovery codes, the second step.

Each use case writes its audit event (``account.two_step_*``) and queues its mails in
the caller's transaction; the views commit.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, exists, select

from panda_portal.accounts.models import Account
from panda_portal.accounts.services.history import record_change
from panda_portal.accounts.signals import announce
from panda_portal.extensions import db
from panda_portal.mfa import emails, signals
from panda_portal.mfa.errors import AlreadyOnError, NotOnError, WrongCodeError
from panda_portal.mfa.models import TotpAuthenticator
from panda_portal.mfa.services import passkeys, recovery_codes, remembered, totp

# The RFC 8176 ``amr`` value of both kinds of code: a one-time password.
OTP = "otp"


def authenticator_of(account: Account) -> TotpAuthenticator | None:
    return db.session.execute(
        select(TotpAuthenticator).where(TotpAuthenticator.account_id == account.id)
    ).scalar_one_or_none()


def is_on(account: Account) -> bool:
    return authenticator_of(account) is not None


def is_on_for(account_id: Any) -> ColumnElement[bool]:
    """SQL: whether the account ``account_id`` (a column, or a value) has two-step verification on."""
    return exists().where(TotpAuthenticator.account_id == account_id)


def _wrong_code(field: str = "code") -> WrongCodeError:
    return WrongCodeError(_("This code is not correct, or it has been used already. Try the next code."), field=field)


def turn_on(account: Account, secret: str, code: str | None, *, actor: Account) -> list[str]:
    """Turn two-step verification on with the app that shows ``code`` for ``secret``; returns the recovery codes.

    The code is used up: it cannot open the account a second time.
    """
    if is_on(account):
        raise AlreadyOnError(_("Two-step verification is already on for your account."))
    step = totp.matching_step(secret, code)
    if step is None:
        raise _wrong_code()
    db.session.add(TotpAuthenticator(account_id=account.id, secret=secret, last_used_step=step))
    db.session.flush()
    codes = recovery_codes.replace_codes(account)
    record_change("two_step_enabled", account, actor=actor, method="authenticator_app")
    announce(signals.two_step_enabled, account=account)
    return codes


def turn_off(account: Account, *, actor: Account) -> None:
    """Turn two-step verification off: the app, the recovery codes, the passkeys and the remembered browsers
    are forgotten."""
    authenticator = authenticator_of(account)
    if authenticator is None:
        raise NotOnError(_("Two-step verification is not on for your account."))
    db.session.execute(delete(TotpAuthenticator).where(TotpAuthenticator.id == authenticator.id))
    recovery_codes.delete_codes(account)
    passkeys.delete_all(account)
    remembered.forget_all(account, actor=actor, reason="two_step_disabled")
    record_change("two_step_disabled", account, actor=actor)
    emails.send_two_step_disabled(account)
    announce(signals.two_step_disabled, account=account)


def regenerate_recovery_codes(account: Account, *, actor: Account) -> list[str]:
    """Ten new recovery codes; the earlier ones stop working."""
    if not is_on(account):
        raise NotOnError(_("Two-step verification is not on for your account."))
    codes = recovery_codes.replace_codes(account)
    record_change("recovery_codes_regenerated", account, actor=actor)
    return codes


def verify(account: Account, *, code: str | None = None, recovery_code: str | None = None) -> str:
    """Check the second factor of ``account``: a code from the app, or else a recovery code.

    Returns the ``amr`` value of what was given; ``WrongCodeError`` when it is not right
    (or two-step verification is off: the same answer, as nothing can be right then).
    A recovery code used is recorded in the audit log and announced to the person by mail.
    """
    authenticator = authenticator_of(account)
    if authenticator is None:
        raise _wrong_code("recovery_code" if recovery_code else "code")
    if recovery_code:
        if not recovery_codes.use_code(account, recovery_code):
            raise _wrong_code("recovery_code")
        left = recovery_codes.unused_count(account)
        record_change("recovery_code_used", account, actor=account, recovery_codes_left=left)
        emails.send_recovery_code_used(account, left=left)
        return OTP
    if not totp.use_code(authenticator, code):
        raise _wrong_code()
    return OTP
