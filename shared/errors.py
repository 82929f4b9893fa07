"""What both services do with errors: domain errors with a message, and pages for refused requests.

Services raise a ``DomainError`` (or a subclass) carrying a message a person
understands and, where one form field is at fault, that field's name; views turn it
into a flash message or a field error the same way everywhere.

Refused requests (400–499) get a page in the visitor's language and inside the
service's layout: Werkzeug's own pages are English-only and outside it. Server errors
keep the bare default: the layout itself needs the database, which may be what failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, flash, render_template, session
from flask.sessions import NullSession
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A use case refused: ``message`` says why to a person, ``field`` names the form field at fault.

    ``category`` is the flash category a view shows the message with when no field is at
    fault: ``error`` by default, ``warning`` or ``success`` for refusals that are no mistake
    (asking to join an organization one already belongs to).
    """

    category = "error"

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def report_error(error: DomainError, form: Any = None) -> None:
    """Show ``error`` to the person: on its form field when the form has it, else as a flash message."""
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors.append(error.message)
    else:
        flash(error.message, error.category)


TITLES = {
    401: _l("Sign in first"),
    403: _l("You cannot open this page"),
    404: _l("Page not found"),
    410: _l("This page is no longer available"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts"),
}
EXPLANATIONS = {
    410: _l("The link you followed can no longer be used."),
    413: _l("Send less at once and try again."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
}
DEFAULT_TITLE = _l("This request cannot be handled")
DEFAULT_EXPLANATION = _l("Go back, reload the page and try again.")


def install_error_pages(app: Flask, explanations: Mapping[int, object]) -> None:
    """Render ``errors/http_error.html`` for refused requests; ``explanations`` are the service's own."""
    texts = {**EXPLANATIONS, **explanations}

    @app.errorhandler(HTTPException)
    def _refused(error: HTTPException) -> ResponseReturnValue:
        if error.response is not None or error.code is None or not 400 <= error.code < 500:
            return error
        if isinstance(session._get_current_object(), NullSession):  # type: ignore[attr-defined]
            return error  # health checks and static files: no session, so no layout either
        return render_template(
            "errors/http_error.html",
            status=error.code,
            title=TITLES.get(error.code, DEFAULT_TITLE),
            explanation=texts.get(error.code, DEFAULT_EXPLANATION),
        ), error.code
