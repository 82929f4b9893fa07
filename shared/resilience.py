"""Faults the service cannot help, answered so that clients and proxies know what to do.

- The database is unreachable (restarting, failing over, network cut): every page
  answers 503 with ``Retry-After`` instead of a 500, and the next request after it
  comes back succeeds (the pool checks connections before use; nothing to restart).
- A request body larger than allowed is answered 413 and the connection is closed:
  the rest of the body is never read, so it must not be taken for the next request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title></head>
<body><h1>Temporarily unavailable</h1>
<p>The service cannot reach its database right now. Please try again in a few seconds.</p>
<p lang="nl">De dienst kan zijn database nu niet bereiken. Probeer het over enkele seconden opnieuw.</p>
<p lang="fr">Le service ne peut pas joindre sa base de données pour le moment. Réessayez dans quelques secondes.</p>
</body></html>
"""


def is_database_outage(error: BaseException | None) -> bool:
    """True for errors that mean "the database cannot be reached", not "this query is wrong"."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def database_unavailable() -> Response:
    # Plain and in three languages: the layout and the language choice may need the database.
    response = Response(UNAVAILABLE_PAGE, status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def install_outage_handling(app: Flask) -> None:
    """503 + Retry-After while the database is unreachable; 413 closes the connection."""

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_error(error: DBAPIError) -> Response:
        app.logger.error("database unreachable: %s", type(error.orig).__name__ if error.orig else error)
        return database_unavailable()

    @app.errorhandler(InternalServerError)
    def _server_error(error: InternalServerError) -> Response | HTTPException:
        # Errors outside the view (opening the session, a request hook) arrive wrapped.
        if is_database_outage(error.original_exception):
            app.logger.error("database unreachable: %s", error.original_exception)
            return database_unavailable()
        return error

    app.wsgi_app = CloseAfterTooLarge(app.wsgi_app)  # type: ignore[method-assign]


StartResponse = Callable[..., Any]


class CloseAfterTooLarge:
    """WSGI middleware: a 413 answer ends the connection (the unread body stays unread)."""

    def __init__(self, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def closing_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("413"):
                headers = [(name, value) for name, value in headers if name.lower() != "connection"]
                headers.append(("Connection", "close"))
                # Gunicorn drops the header (hop-by-hop) but closes when told through its response.
                server_response = getattr(start_response, "__self__", None)
                if callable(getattr(server_response, "force_close", None)):
                    server_response.force_close()  # type: ignore[union-attr]
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.wsgi_app(environ, closing_start_response)
