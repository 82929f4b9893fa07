"""The foundation both services' APIs stand on: declared operations, one OpenAPI 3.1 document, problems.

What an API view does is declared next to it (``operation``); ``Api`` serves the
OpenAPI 3.1 document built from those declarations at ``<prefix>/openapi.json`` and a
reference page at ``<prefix>/docs``; every error under ``/api/`` is an RFC 9457
``application/problem+json``. Access is the ``api_scope`` marker of ``shared.access``:
a bearer token (never a cookie) turned into an ``ApiCaller`` by the service's resolver.
POSTs honour ``Idempotency-Key`` (a table per service, ``IdempotentRequestMixin``),
changes ``If-Match`` (``check_if_match``), lists are cursor-paged (``paging``).

Usage::

    # <service>/api/__init__.py
    from pydantic import BaseModel
    from shared.access import api_scope
    from shared.api import Api, ApiProblem, operation, json_body, current_caller

    api = Api("api", __name__, title="Example API", version="1.0.0")

    class Greeting(BaseModel):
        text: str

    @api.blueprint.post("/greetings")
    @api_scope("greet:write")
    @operation(summary="Greet", tags=["greetings"], body=Greeting, responses={201: Greeting})
    def greet():
        greeting = json_body(Greeting)          # 415 / 400 / 422 naming the field
        if greeting.text == "no":
            raise ApiProblem(409, "Not now.")   # problem+json
        return greeting.model_dump(), 201

    # in create_app, after the other blueprints:
    api.init_app(app, db=db, resolver=resolve_token, idempotency_model=IdempotentRequest,
                 csrf=csrf, limiter=limiter, rate_limit="600/minute")

``resolver(token) -> ApiCaller`` raises ``InvalidToken`` (401) or
``TokenCheckUnavailable`` (503). ``build_document(app, ...)`` gives the document for tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from shared.access import public
from shared.api.auth import (
    RESOLVER_KEY,
    ApiCaller,
    InvalidToken,
    Resolver,
    TokenCheckUnavailable,
    bearer_token,
    current_caller,
    token_key,
)
from shared.api.conditional import check_if_match, etag_of
from shared.api.idempotency import EXTENSION_KEY as IDEMPOTENCY_KEY
from shared.api.idempotency import IdempotentRequestMixin, purge_expired
from shared.api.paging import DEFAULT_LIMIT, MAX_LIMIT, add_link_header, decode_cursor, encode_cursor, next_url
from shared.api.problems import PROBLEM_TYPE, ApiProblem, FieldError, Problem, from_http_exception, problem_response
from shared.api.spec import (
    JSON,
    Answer,
    Operation,
    build_document,
    declared_operation,
    form_body,
    is_problem_answer,
    json_body,
    operation,
    query_args,
)

__all__ = [
    "API_ROOT",
    "DEFAULT_LIMIT",
    "JSON",
    "MAX_LIMIT",
    "PROBLEM_TYPE",
    "Answer",
    "Api",
    "ApiCaller",
    "ApiProblem",
    "FieldError",
    "IdempotentRequestMixin",
    "InvalidToken",
    "Operation",
    "Problem",
    "TokenCheckUnavailable",
    "add_link_header",
    "bearer_token",
    "build_document",
    "check_if_match",
    "current_caller",
    "declared_operation",
    "decode_cursor",
    "encode_cursor",
    "etag_of",
    "is_api_request",
    "form_body",
    "json_body",
    "next_url",
    "operation",
    "problem_response",
    "purge_expired",
    "query_args",
    "token_key",
]

API_ROOT = "/api/"
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "ETag", "Link")


def is_api_request() -> bool:
    return request.path.startswith(API_ROOT) or request.path.rstrip("/") == API_ROOT.rstrip("/")


class Api:
    """One API of a service: its blueprint, its OpenAPI document and reference page, its error answers."""

    def __init__(
        self,
        name: str,
        import_name: str,
        *,
        title: str,
        version: str,
        url_prefix: str = "/api/v1",
        description: str = "",
    ) -> None:
        self.title, self.version, self.url_prefix, self.description = title, version, url_prefix, description
        self.blueprint = Blueprint(name, import_name, url_prefix=url_prefix)
        self._limited = False
        self._add_document_routes()

    def document(self, app: Flask | None = None) -> dict[str, Any]:
        """The OpenAPI document (built once per app; the URL map does not change after start-up)."""
        app = app or current_app._get_current_object()  # type: ignore[attr-defined]
        cache = app.extensions.setdefault("shared.api.documents", {})
        if self.blueprint.name not in cache:
            cache[self.blueprint.name] = build_document(
                app, prefix=self.url_prefix, title=self.title, version=self.version, description=self.description
            )
        return cache[self.blueprint.name]

    def _add_document_routes(self) -> None:
        api = self

        @self.blueprint.get("/openapi.json")
        @public
        @operation(
            summary="This API's OpenAPI 3.1 document",
            tags=["meta"],
            responses={200: Answer(schema={"type": "object"}, description="The OpenAPI document.")},
        )
        def openapi_document() -> Response:
            response = current_app.response_class(current_app.json.dumps(api.document()), mimetype="application/json")
            response.headers["Cache-Control"] = "public, max-age=300"
            return response

        @self.blueprint.get("/docs")
        @public
        @operation(
            summary="This API's reference, as a page",
            tags=["meta"],
            responses={200: Answer(schema={"type": "string"}, content_type="text/html", description="The reference.")},
        )
        def reference_page() -> str:
            return render_template(
                "api/reference.html", document=api.document(), prefix=api.url_prefix, is_problem=is_problem_answer
            )

    def init_app(
        self,
        app: Flask,
        *,
        db: Any,
        resolver: Resolver,
        idempotency_model: type | None,
        csrf: Any = None,
        limiter: Any = None,
        rate_limit: str | Callable[[], str] | None = None,
    ) -> None:
        """Register the blueprint and the API's answers; call it after the service's other blueprints.

        ``rate_limit`` (Flask-Limiter notation, or a callable giving it, e.g. one reading
        ``current_app.config``) limits each token, counted in the ``limiter``'s storage.
        """
        if limiter is not None and rate_limit and not self._limited:
            # Once per blueprint, which outlives an app (tests make several): a callable limit
            # reads the app of the request (``current_app.config``).
            limiter.limit(rate_limit, key_func=token_key, scope="api")(self.blueprint)
            self._limited = True
        app.register_blueprint(self.blueprint)
        if csrf is not None:
            csrf.exempt(self.blueprint)
        app.extensions[RESOLVER_KEY] = resolver
        if idempotency_model is not None:
            app.extensions[IDEMPOTENCY_KEY] = (db, idempotency_model)
        install_problem_answers(app, limiter=limiter)


def install_problem_answers(app: Flask, *, limiter: Any = None) -> None:
    """Every error under ``/api/`` as problem+json (idempotent: installed once per app)."""
    if app.extensions.get("shared.api.problems"):
        return
    app.extensions["shared.api.problems"] = True

    @app.errorhandler(ApiProblem)
    def _api_problem(error: ApiProblem) -> Response:
        return error.response()

    previous = app.error_handler_spec.get(None, {}).get(None, {}).get(HTTPException)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if is_api_request():
            return from_http_exception(error)
        return previous(error) if previous is not None else error

    @app.after_request
    def _api_answers(response: Response) -> Response:
        if not is_api_request():
            return response
        if response.status_code >= 400 and response.mimetype != PROBLEM_TYPE:
            # A safety net for errors answered elsewhere (the database away, an error page).
            kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
            detail = _("The database cannot be reached right now.") if response.status_code == 503 else None
            response = problem_response(response.status_code, detail, headers=kept)
        response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Authorization")
        current = getattr(limiter, "current_limit", None) if limiter is not None else None
        if current is not None:
            response.headers["RateLimit-Limit"] = str(current.limit.amount)
            response.headers["RateLimit-Remaining"] = str(max(current.remaining, 0))
            response.headers["RateLimit-Reset"] = str(max(int(current.reset_at - _now()), 0))
            if response.status_code == 429:
                response.headers.setdefault("Retry-After", response.headers["RateLimit-Reset"])
        return response


def _now() -> float:
    import time

    return time.time()
