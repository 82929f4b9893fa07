"""RFC 9457 problem details: every error an API answers is ``application/problem+json``.

Views raise ``ApiProblem``; errors raised elsewhere (routing, the input guard, the
body size limit, the rate limiter, the database being away) are turned into
problems for every path under the API's prefix by ``install_problem_handlers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, json
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"
BLANK = "about:blank"


class FieldError(BaseModel):
    """One field of the request that could not be accepted."""

    field: str = Field(description="Where the field is: a JSON member (dotted for nested ones) or a query parameter.")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default=BLANK, description="A URI naming the kind of problem; about:blank for plain HTTP errors.")
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Validation errors, one per field.")


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Authentication required"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        412: _("Precondition failed"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        422: _("Unprocessable content"),
        428: _("Precondition required"),
        429: _("Too many requests"),
        500: _("Internal server error"),
        503: _("Service unavailable"),
    }


def title_for(status: int) -> str:
    return _titles().get(status, _("Error"))


class ApiProblem(Exception):
    """An error a view (or the access check) answers: ``status``, a ``detail`` for people, maybe field errors."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str = BLANK,  # noqa: A002 (the member's name in RFC 9457)
        errors: Iterable[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or str(status))
        self.status = status
        self.detail = detail
        self.title = title
        self.type = type
        self.errors = [dict(item) for item in errors] if errors is not None else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def response(self) -> Response:
        return problem_response(
            self.status,
            self.detail,
            title=self.title,
            type=self.type,
            errors=self.errors,
            headers=self.headers,
            extra=self.extra,
        )


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type: str = BLANK,  # noqa: A002
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": type, "title": str(title or title_for(status)), "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    """The problem for a Werkzeug error (its ``Allow``, ``Retry-After`` headers kept)."""
    status = error.code or 500
    kept = {}
    if error.response is not None:
        kept = {k: v for k, v in error.response.headers.items() if k in {"Allow", "Retry-After", "WWW-Authenticate"}}
    else:
        for name, value in error.get_headers():
            if name in {"Allow", "Retry-After", "WWW-Authenticate"}:
                kept[name] = value
    detail = {
        404: _("There is nothing at this address."),
        405: _("This address does not accept this method."),
        413: _("Send less at once and try again."),
        429: _("Too many requests with this token. Wait and try again."),
    }.get(status)
    if status == 400:
        detail = _("The request is malformed.")
    return problem_response(status, detail, headers=kept)
