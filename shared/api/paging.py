"""Cursor paging: ``?cursor=…&limit=…``, the next page's address in the body (``next``) and in ``Link``.

A cursor is opaque to clients: a signed, URL-safe token of the position (whatever the
service's query needs to go on, e.g. a page number or the last row's sort key), so a
changed or made-up cursor is refused (422) rather than read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from shared.api.problems import ApiProblem

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="shared.api.cursor")


def encode_cursor(position: dict[str, Any]) -> str:
    return _serializer().dumps(position)


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position a cursor names (None for the first page); 422 for a cursor this service did not make."""
    if not cursor:
        return None
    try:
        position = _serializer().loads(cursor)
    except BadSignature as exc:
        raise ApiProblem(
            422,
            _("Some query parameters are not valid."),
            errors=[{"field": "cursor", "message": _("Not a cursor of this list.")}],
        ) from exc
    if not isinstance(position, dict):
        raise ApiProblem(422, errors=[{"field": "cursor", "message": _("Not a cursor of this list.")}])
    return position


def next_url(cursor: str | None) -> str | None:
    """This request's address with ``cursor`` replaced (None when there is no next page)."""
    if cursor is None:
        return None
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "cursor"]
    args.append(("cursor", cursor))
    return request.base_url + "?" + urlencode(args)


def add_link_header(response: Response, next_link: str | None) -> Response:
    if next_link:
        response.headers["Link"] = f'<{next_link}>; rel="next"'
    return response
