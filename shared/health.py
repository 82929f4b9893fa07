"""``/healthz`` (the process answers) and ``/readyz`` (its database answers)."""
from __future__ import annotations

from flask import Blueprint, jsonify
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
        return jsonify(status="ok", database="ok")

    return bp
