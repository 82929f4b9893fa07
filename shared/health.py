"""``/healthz`` (the process answers) and ``/readyz`` (its database answers; how many outbox messages failed)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from shared.access import public
from shared.database import Database


def health_blueprint(db: Database) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    @public
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok")

    @bp.get("/readyz")
    @public
    def readyz() -> ResponseReturnValue:
        try:
            db.ping()
        except Exception as exc:  # any driver error means "not ready"
            return jsonify(status="unavailable", database=type(exc).__name__), 503
        report = {"status": "ok", "database": "ok"}
        outbox = current_app.extensions.get("outbox")
        if outbox is not None:
            # Failed messages need an operator, not a restart: reported, and the instance stays ready.
            try:
                # A read: on SQLite it must not take the write lock that transactions begin with.
                db.session.connection(execution_options={"sqlite_read_only": True})
                report["outbox_failed"] = outbox.failed_count()
            except Exception as exc:
                return jsonify(status="unavailable", database=type(exc).__name__), 503
            finally:
                db.session.rollback()
        return jsonify(report)

    return bp
