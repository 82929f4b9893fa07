"""``Idempotency-Key`` on POST: a repeated request answers what the first one answered.

Each service keeps the answers in a table of its own, declared like the outbox:

    class IdempotentRequest(IdempotentRequestMixin, Base):
        __tablename__ = "api_idempotent_requests"

The key is kept per caller for 24 hours, with a fingerprint of the request (method,
path, query and body; for a multipart body its fields and the files' digests, since
the boundary differs from one try to the next). The same key with the same request
answers the stored response (``Idempotent-Replayed: true``); with another request 422;
while the first is still being handled 409. The row is written in the view's own
transaction, so a change and its key are committed together or not at all; only
successful answers (2xx) are kept. A caller's answers older than a day are deleted when
that caller next sends a key; ``purge_expired`` deletes everyone's (for a periodic job).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any, cast

from flask import Response, current_app, make_response, request
from flask_babel import gettext as _
from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.api.auth import current_caller
from shared.api.problems import ApiProblem
from shared.database import UTCDateTime, utcnow

KEPT_FOR = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("Location", "ETag", "Content-Type")
EXTENSION_KEY = "shared.api.idempotency"


class IdempotentRequestMixin:
    """Columns of a kept POST answer; one row per (caller, key)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    caller: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint, ...]:
        return (UniqueConstraint("caller", "key", name=f"uq_{cast(Any, cls).__tablename__}_caller_key"),)


def fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode())
    if request.mimetype == "multipart/form-data":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"field {name}={value}\n".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: (item[0], item[1].filename or "")):
            content = upload.stream.read()
            upload.stream.seek(0)
            digest.update(f"file {name} {upload.filename} {hashlib.sha256(content).hexdigest()}\n".encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(row: Any, wanted: str) -> Response:
    if row.fingerprint != wanted:
        raise ApiProblem(
            422,
            _("This Idempotency-Key was used with another request."),
            errors=[{"field": "Idempotency-Key", "message": _("Already used with another request.")}],
        )
    if row.status is None:
        raise ApiProblem(409, _("A request with this Idempotency-Key is still being handled."))
    response = Response(row.body or "", status=row.status)
    for name, value in (row.headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def replay_or_run(run: Callable[[], Any]) -> Any:
    """Answer a POST: the stored response for a known key, else ``run()`` keeping its answer under the key."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return run()
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ApiProblem(
            422,
            _("Some fields are not valid."),
            errors=[{"field": "Idempotency-Key", "message": _("Between 1 and 255 characters.")}],
        )
    settings = current_app.extensions.get(EXTENSION_KEY)
    if settings is None:
        return run()
    db, model = settings
    caller = current_caller().key
    wanted = fingerprint()
    query = select(model).where(model.caller == caller, model.key == key)
    # The caller's answers older than a day go first (so this one's too): the table keeps a day per caller.
    db.session.execute(delete(model).where(model.caller == caller, model.created_at < utcnow() - KEPT_FOR))
    row = db.session.scalar(query)
    if row is not None:
        return _replay(row, wanted)
    row = model(caller=caller, key=key, fingerprint=wanted)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        row = db.session.scalar(query)
        if row is None:
            raise ApiProblem(409, _("A request with this Idempotency-Key is still being handled.")) from None
        return _replay(row, wanted)
    row_id = row.id
    response = make_response(run())
    if 200 <= response.status_code < 300:
        kept = db.session.get(model, row_id)
        if kept is None:  # the view rolled back: keep nothing
            return response
        kept.status = response.status_code
        kept.body = response.get_data(as_text=True)
        kept.headers = {name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers}
        db.session.commit()
    else:
        db.session.rollback()
        db.session.execute(delete(model).where(model.id == row_id))
        db.session.commit()
    return response


def purge_expired(db: Any, model: Any, *, now: dt.datetime | None = None) -> int:
    """Forget answers older than 24 hours; returns how many (for a periodic command)."""
    cutoff = (now or utcnow()) - KEPT_FOR
    result = db.session.execute(delete(model).where(model.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
