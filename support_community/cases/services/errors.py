"""The domain error of cases; views show its ``message`` with ``shared.errors.report_error``."""

from __future__ import annotations

from shared.errors import DomainError


class CaseError(DomainError):
    """Something a person asked of a case that cannot be done; ``message`` says why, in their language.

    ``field`` names the form field the message belongs next to, when there is one.
    """
