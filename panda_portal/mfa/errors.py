"""The domain errors of two-step verification; views show them with ``shared.errors.report_error``."""

from __future__ import annotations

from shared.errors import DomainError


class TwoStepError(DomainError):
    """A request about two-step verification that cannot be done, with a sentence for the person."""


class WrongCodeError(TwoStepError):
    """The code is not right, was used already, or is too old (one message for all: no oracle)."""


class AlreadyOnError(TwoStepError):
    category = "warning"


class NotOnError(TwoStepError):
    category = "warning"
