"""The domain error of the customer side of cases; views show ``message`` to the person."""
from __future__ import annotations


class CaseError(Exception):
    """Something a person asked for that cannot be done; ``message`` says why, in their language.

    ``field`` names the form field the message belongs next to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
