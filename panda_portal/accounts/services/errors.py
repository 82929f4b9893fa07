"""The domain errors of accounts; views show their ``message`` with ``shared.errors.report_error``."""

from __future__ import annotations

from flask_babel import gettext as _

from panda_portal.accounts.models import Account
from shared.errors import DomainError


class AccountError(DomainError):
    """A request about an account that cannot be done, with a sentence for the person.

    ``field`` names the form field at fault, when there is one.
    """


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
    """The account's address is not confirmed yet, so it cannot do this (sign in, accept an invitation).

    Signing in says so only after the right password; the message can be replaced by
    one that fits the use case refused.
    """

    def __init__(self, account: Account, message: str | None = None) -> None:
        super().__init__(
            message or _("Your e-mail address is not confirmed yet. Open the link we sent you, or ask for a new one.")
        )
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
