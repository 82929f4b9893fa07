"""Pages for refused requests (400–499), in the visitor's language and inside the community's layout.

Werkzeug's own pages are English-only and outside the layout; someone who follows
a stale link to a case, or opens an organization their token no longer lists, gets
the same page in Dutch or French as the rest of the community. Server errors keep
the bare default: the layout itself needs the database, which may be what failed.
"""
from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

TITLES = {
    401: _l("Sign in first"),
    403: _l("You cannot open this page"),
    404: _l("Page not found"),
    429: _l("Too many attempts"),
}
EXPLANATIONS = {
    401: _l("This page is only for signed-in people. Sign in with Panda and try again."),
    403: _l("Your account has no access to this page."),
    404: _l("This page does not exist, or you have no access to it. A case is only shown in the "
            "organization it belongs to: switch to that organization first."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
}
DEFAULT_TITLE = _l("This request cannot be handled")
DEFAULT_EXPLANATION = _l("Go back, reload the page and try again.")


def install_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _refused(error: HTTPException) -> ResponseReturnValue:
        if error.response is not None or error.code is None or not 400 <= error.code < 500:
            return error
        return render_template("errors/http_error.html", status=error.code,
                               title=TITLES.get(error.code, DEFAULT_TITLE),
                               explanation=EXPLANATIONS.get(error.code, DEFAULT_EXPLANATION)), error.code
