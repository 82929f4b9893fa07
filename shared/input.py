"""Malformed input is refused in one place, before any view or database sees it.

A NUL byte reaches PostgreSQL as an error, a line break in a header value is an
error in Werkzeug, an escape sequence in a name ends up in an operator's terminal:
none of them is something a person types. Every request of both services is
checked here, and a request carrying such characters is answered 400:

- the path and the header values: no control characters at all (a tab is allowed
  in header values, as HTTP allows it);
- query and form values and their names, and uploaded file names: no control
  characters besides tab, carriage return and line feed (text areas send line
  breaks). Fields where a line break makes no sense refuse it in their forms
  (``single_line`` below).
"""

from __future__ import annotations

import re

from flask import Flask, abort, request
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import Field
from wtforms.validators import ValidationError

# C0 controls but tab, CR and LF; DEL; C1 controls (terminal escapes such as CSI).
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# One-line texts (names, subjects, titles) also refuse U+2028/U+2029 (line and paragraph
# separators) and the invisible bidirectional controls (U+202A-U+202E, U+2066-U+2069) that
# would make one text show as another.
_LINE_BREAK_OR_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def has_control_characters(value: str) -> bool:
    """True when ``value`` holds a control character other than tab, CR or LF."""
    return bool(_CONTROL_IN_TEXT.search(value))


def _malformed_request() -> str | None:
    """What is wrong with the request, or None when it is well-formed."""
    if _CONTROL_IN_PATH.search(request.path):
        return "path"
    for name, value in request.headers.items():
        if _CONTROL_IN_HEADER.search(value):
            return f"header {name}"
    for key, value in request.args.items(multi=True):
        if _CONTROL_IN_TEXT.search(key) or _CONTROL_IN_TEXT.search(value):
            return f"query field {key[:40]!r}"
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        return None  # the view answers that itself, in the person's language
    for key, value in form.items(multi=True):
        if _CONTROL_IN_TEXT.search(key) or _CONTROL_IN_TEXT.search(value):
            return f"form field {key[:40]!r}"
    for key, upload in files.items(multi=True):
        if _CONTROL_IN_TEXT.search(key) or _CONTROL_IN_PATH.search(upload.filename or ""):
            return f"file {key[:40]!r}"
    return None


def install_input_guard(app: Flask) -> None:
    """Answer 400 to a request whose path, headers, query, form or file names hold control characters."""

    @app.before_request
    def _refuse_malformed_input() -> None:
        problem = _malformed_request()
        if problem is not None:
            app.logger.info("refused a request with control characters in its %s", problem)
            abort(400)


def single_line(form: object, field: Field) -> None:
    """A WTForms validator for names and other one-line texts: no line breaks, tabs or control characters."""
    if isinstance(field.data, str) and _LINE_BREAK_OR_CONTROL.search(field.data):
        from flask_babel import gettext as _

        raise ValidationError(_("Use letters, digits and punctuation only, on one line."))
