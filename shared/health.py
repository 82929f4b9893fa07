"""``/healthz`` (the process answers; which instance) and ``/readyz`` (its database and Redis answer;
how many outbox messages failed).

Readiness follows the dependencies: while the database or Redis (when ``REDIS_URL`` is set) cannot
be reached, ``/readyz`` answers 503 so the load balancer sends requests elsewhere, and 200 again as
soon as they answer, without a restart. Liveness never depends on them: restarting the process
would not bring them back.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from shared.access import public
from shared.database import Database, begin_read

REDIS_TIMEOUT_SECONDS = 1.0


class RedisProbe:
    """Pings Redis with a short time-out; the client reconnects by itself once Redis is back."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )

    def ping(self) -> None:
        self.client.ping()


def health_blueprint(db: Database, *, instance: str = "") -> Blueprint:
    bp = Blueprint("health", __name__)
    probes: dict[str, Any] = {}

    def redis_probe() -> RedisProbe | None:
        url = current_app.config.get("REDIS_URL")
        if not url:
            return None
        if probes.get("url") != url:
            probes.update(url=url, probe=RedisProbe(url))
        return probes["probe"]

    @bp.get("/healthz")
    @public
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok", instance=instance)

    @bp.get("/readyz")
    @public
    def readyz() -> ResponseReturnValue:
        try:
            db.ping()
        except Exception as exc:  # any driver error means "not ready"
            return jsonify(status="unavailable", database=type(exc).__name__, instance=instance), 503
        report: dict[str, Any] = {"status": "ok", "database": "ok"}
        probe = redis_probe()
        if probe is not None:
            try:
                probe.ping()
            except Exception as exc:  # refused, timed out, ...: rate limits cannot be shared now
                return jsonify(status="unavailable", database="ok", redis=type(exc).__name__, instance=instance), 503
            report["redis"] = "ok"
        outbox = current_app.extensions.get("outbox")
        if outbox is not None:
            # Failed messages need an operator, not a restart: reported, and the instance stays ready.
            try:
                # A read: on SQLite it must not take the write lock that transactions begin with.
                begin_read(db.session)
                report["outbox_failed"] = outbox.failed_count()
            except Exception as exc:
                return jsonify(status="unavailable", database=type(exc).__name__, instance=instance), 503
            finally:
                db.session.rollback()
        report["instance"] = instance
        return jsonify(report)

    return bp
