"""Logs both services write alike: one JSON object per line in production, a readable line elsewhere.

Every line carries the time, level, service, instance (``INSTANCE_NAME``) and, inside a request,
its request id and the signed-in person's id; each request ends with one line giving its method,
path (never the query string, which may hold codes or tokens), status and duration. Nothing here
logs a form, a header, a token or a mail body.

The request id comes from the ``X-Request-ID`` header when it is short and made of safe
characters (a proxy or the other service chose it), else a new one is made; it is returned in the
response's ``X-Request-ID`` and ``outgoing_headers()`` passes it on to the other service.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, request, session

REQUEST_ID_HEADER = "X-Request-ID"
SERVED_BY_HEADER = "X-Served-By"
# Short and made of characters that cannot break a log line or a header.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
REQUEST_LOGGER = "shared.requests"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_person_id: ContextVar[str | None] = ContextVar("person_id", default=None)
_service: ContextVar[str | None] = ContextVar("service", default=None)
_process = {"service": "", "instance": ""}
_HANDLER_MARK = "_shared_logs_handler"


# -- the request id ----------------------------------------------------------------------------
def accepted_request_id(raw: str | None) -> str:
    """The caller's request id when it is safe to repeat, else a new one."""
    if raw and SAFE_REQUEST_ID.fullmatch(raw):
        return raw
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _request_id.get()


def outgoing_headers() -> dict[str, str]:
    """Headers for a call to the other service made while handling a request: its request id."""
    request_id = current_request_id()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


# -- records -------------------------------------------------------------------------------------
def _install_record_factory() -> None:
    """Every log record, from any library, carries the context of the request or process it is in."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_shared_logs", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        record.request_id = _request_id.get()
        record.person_id = _person_id.get()
        record.service = _service.get() or _process["service"]
        record.instance = _process["instance"]
        return record

    factory._shared_logs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, instance, logger, message and the request's context."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": getattr(record, "service", None) or _process["service"],
            "instance": getattr(record, "instance", None) or _process["instance"],
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "person_id"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The readable line of development, with the request id at the end when there is one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def configure_logging(*, service: str, instance: str, fmt: str, level: str) -> None:
    """The process's log lines: one handler on the root logger, in ``fmt`` (``json`` or ``text``).

    A root logger that already has handlers someone else installed (a test runner, gunicorn's
    logging configuration) keeps them; only their level is left alone.
    """
    _process["service"] = _process["service"] or service
    _process["instance"] = instance
    _install_record_factory()
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, _HANDLER_MARK, False)]
    if ours:
        for handler in ours:
            handler.setFormatter(formatter(fmt))
    elif not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        setattr(handler, _HANDLER_MARK, True)
        handler.setFormatter(formatter(fmt))
        root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic announces every plug-in it loads at INFO: noise in every process.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def set_process_context(*, service: str, instance: str) -> None:
    """What a process without an app (gunicorn's master) puts on its lines."""
    _process["service"], _process["instance"] = service, instance
    _install_record_factory()


def gunicorn_logconfig(fmt: str, level: str) -> dict[str, Any]:
    """A ``logconfig_dict`` for gunicorn: its own lines in the services' format, to standard error."""
    formatter_config: dict[str, Any] = (
        {"()": "shared.logs.JsonFormatter"} if fmt == "json" else {"()": "shared.logs.TextFormatter"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "services", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"services": formatter_config},
        "handlers": {"services": {**handler, "()": "shared.logs._marked_stream_handler"}},
        "root": {"level": level.upper(), "handlers": ["services"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


def _marked_stream_handler(**kwargs: Any) -> logging.Handler:
    handler = logging.StreamHandler(kwargs.get("stream", sys.stderr))
    setattr(handler, _HANDLER_MARK, True)
    return handler


# -- requests ------------------------------------------------------------------------------------
def install_request_logging(app: Flask, *, service: str, instance: str, subject_key: str) -> None:
    """Request ids in and out, the person and instance on every line, and one line per request.

    ``subject_key`` is the session key that holds the signed-in person's id.
    """
    log = logging.getLogger(REQUEST_LOGGER)

    def person() -> str | None:
        try:
            value = session.get(subject_key)
        except Exception:  # a session that could not be opened (database outage)
            return None
        return str(value) if value else None

    @app.before_request
    def _start() -> None:
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
        g._log_tokens = (_request_id.set(request_id), _service.set(service), _person_id.set(person()))
        g._log_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = _request_id.get() or accepted_request_id(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        response.headers[SERVED_BY_HEADER] = instance
        _person_id.set(person())
        started = g.get("_log_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        log.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "fields": {
                    "method": request.method,
                    "path": request.path,
                    "endpoint": request.endpoint,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "remote_addr": request.remote_addr,
                }
            },
        )
        return response

    @app.teardown_request
    def _forget(_exc: BaseException | None) -> None:
        tokens = g.pop("_log_tokens", None)
        if tokens:
            for var, token in zip((_request_id, _service, _person_id), tokens, strict=True):
                try:
                    var.reset(token)
                except ValueError:  # set in another context (a streamed response's thread)
                    var.set(None)
