"""Prometheus metrics of both services: requests, sign-ins, token grants, the outbox, the database pool.

Every process of an instance (gunicorn's workers, an outbox worker) counts in its own files under
``PROMETHEUS_MULTIPROC_DIR`` when that is set (``deploy/gunicorn.conf.py`` sets and empties it), and a
scrape adds them up; without it (tests, a single process) the counts stay in memory.

Where they are read:

- ``/metrics`` on the service's own port, answered before Flask sees the request (it is no page: no
  session, no access marker) and only to a direct, unproxied request from ``METRICS_ALLOWED_NETWORKS``
  (anyone else gets a 404); ``serve_metrics_port`` serves the same on a port of its own, for a
  process that answers no HTTP (an outbox worker).

Counters the domain code increments (one line where the thing happens)::

    SIGN_INS.labels(service="panda", outcome="ok").inc()        # ok, failed, throttled
    TOKEN_GRANTS.labels(grant_type="authorization_code").inc()  # or refresh_token
    INBOUND_MAILS.labels(service="community", outcome="ok").inc()

The outbox's backlog, oldest waiting message and failed messages are read from the database when
scraped, so they are right however many workers deliver.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from shared.logs import SERVED_BY_HEADER

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# -- what is counted -------------------------------------------------------------------------------
REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by endpoint and status.",
    ["service", "endpoint", "method", "status"],
)
REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the request's arrival in the app to its response, by endpoint.",
    ["service", "endpoint", "method"],
    buckets=LATENCY_BUCKETS,
)
SIGN_INS = Counter("sign_ins_total", "Sign-in attempts by outcome (ok, failed, throttled).", ["service", "outcome"])
TOKEN_GRANTS = Counter(
    "oidc_token_grants_total", "Tokens issued by Panda's token endpoint, by grant type.", ["grant_type"]
)
OUTBOX_ATTEMPTS = Counter(
    "outbox_delivery_attempts_total",
    "Outbox deliveries tried, by kind and outcome (sent; retry: failed, tried again later; failed: given up).",
    ["service", "kind", "outcome"],
)
INBOUND_MAILS = Counter("inbound_mails_processed_total", "Inbound mails processed, by outcome.", ["service", "outcome"])
DB_POOL_IN_USE = Gauge(
    "db_pool_connections_in_use",
    "Database connections checked out of the pools of this instance's processes.",
    ["service"],
    multiprocess_mode="livesum",
)
DB_POOL_OPEN = Gauge(
    "db_pool_connections_open",
    "Database connections open in the pools of this instance's processes (in use or idle).",
    ["service"],
    multiprocess_mode="livesum",
)

# Label values shown as 0 before the first event, so dashboards and alerts have a series to read.
for _service in ("panda_portal", "support_community"):
    for _outcome in ("ok", "failed", "throttled"):
        SIGN_INS.labels(service=_service, outcome=_outcome)
for _grant in ("authorization_code", "refresh_token"):
    TOKEN_GRANTS.labels(grant_type=_grant)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# -- requests ---------------------------------------------------------------------------------------
def install_request_metrics(app: Flask, *, service: str) -> None:
    """Count every request and time it, labelled by endpoint (bounded: the app's routes)."""

    @app.before_request
    def _start() -> None:
        g._metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        REQUESTS.labels(service, endpoint, request.method, str(response.status_code)).inc()
        started = g.get("_metrics_started")
        if started is not None:
            REQUEST_LATENCY.labels(service, endpoint, request.method).observe(time.perf_counter() - started)
        return response


# -- the database pool ------------------------------------------------------------------------------
def watch_pool(engine: Engine, *, service: str) -> None:
    """Keep the pool gauges of this process up to date as connections are taken and given back."""
    pool = engine.pool

    def update(*_: Any) -> None:
        checked_out = _call(pool, "checkedout")
        idle = _call(pool, "checkedin")
        DB_POOL_IN_USE.labels(service).set(checked_out)
        DB_POOL_OPEN.labels(service).set(checked_out + idle)

    for name in ("connect", "checkout", "checkin", "close", "invalidate"):
        event.listen(pool, name, update)


def _call(pool: Any, name: str) -> int:
    method = getattr(pool, name, None)
    try:
        return int(method()) if callable(method) else 0
    except Exception:
        return 0


# -- what a scrape reads from the database ------------------------------------------------------------
class OutboxCollector(Collector):
    """The outbox as the database holds it: waiting, oldest waiting, retrying and failed messages."""

    def __init__(self, app: Flask, service: str) -> None:
        self.app = app
        self.service = service

    def collect(self) -> Iterator[Metric]:
        outbox = self.app.extensions.get("outbox")
        up = GaugeMetricFamily("database_up", "1 when the service's database answered this scrape.", labels=["service"])
        if outbox is None:
            return
        pending = GaugeMetricFamily(
            "outbox_backlog", "Messages waiting to be delivered (due or retrying later).", labels=["service"]
        )
        retrying = GaugeMetricFamily(
            "outbox_retrying",
            "Waiting messages whose last attempt failed (mail server or peer down).",
            labels=["service"],
        )
        oldest = GaugeMetricFamily(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest message still waiting, 0 when none.",
            labels=["service"],
        )
        failed = GaugeMetricFamily(
            "outbox_failed", "Messages given up on (see `outbox failed`); they need an operator.", labels=["service"]
        )
        model = outbox.model
        waiting = (model.sent_at.is_(None), model.failed_at.is_(None))
        try:
            with outbox.db.state(self.app).sessionmaker() as session:
                count, first = session.execute(
                    select(func.count(), func.min(model.created_at)).select_from(model).where(*waiting)
                ).one()
                retry_count = session.scalar(
                    select(func.count()).select_from(model).where(*waiting, model.last_error.is_not(None))
                )
                failed_count = session.scalar(
                    select(func.count()).select_from(model).where(model.failed_at.is_not(None), model.sent_at.is_(None))
                )
                session.rollback()
        except Exception as exc:  # the database is down: say so, and report nothing stale
            log.warning("metrics: the database did not answer: %s", type(exc).__name__)
            up.add_metric([self.service], 0)
            yield up
            return
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=dt.UTC)
        age = (dt.datetime.now(dt.UTC) - first).total_seconds() if first is not None else 0.0
        up.add_metric([self.service], 1)
        pending.add_metric([self.service], int(count or 0))
        retrying.add_metric([self.service], int(retry_count or 0))
        oldest.add_metric([self.service], max(age, 0.0))
        failed.add_metric([self.service], int(failed_count or 0))
        yield from (up, pending, retrying, oldest, failed)


class _Together:
    """Several collectors read as one registry."""

    def __init__(self, collectors: Iterable[Any]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def process_registry() -> Any:
    """This process's metrics: every process of the instance's in multiprocess mode, else this one's."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    return generate_latest(_Together([process_registry(), *extra]))


# -- /metrics ------------------------------------------------------------------------------------------
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def allowed_networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


class MetricsEndpoint:
    """WSGI middleware: ``GET /metrics`` answered before the app, to whom may read it; the rest passes on."""

    def __init__(
        self,
        wsgi_app: WsgiApp,
        *,
        collectors: Callable[[], Iterable[Collector]],
        networks: str,
        instance: str,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.collectors = collectors
        self.networks = allowed_networks(networks)
        self.instance = instance

    def may_read(self, environ: dict[str, Any]) -> bool:
        if environ.get("HTTP_X_FORWARDED_FOR"):
            return False
        # The peer itself, before any proxy header was believed.
        original = environ.get("werkzeug.proxy_fix.orig", {}) or {}
        peer = original.get("REMOTE_ADDR") or environ.get("REMOTE_ADDR") or ""
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != METRICS_PATH:
            return self.wsgi_app(environ, start_response)
        headers = [(SERVED_BY_HEADER, self.instance), ("Cache-Control", "no-store")]
        if not self.may_read(environ):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), *headers])
            return [b"Not Found\n"]
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), *headers])
            return [b""]
        body = exposition(self.collectors())
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), *headers])
        return [body]


def install_metrics(app: Flask, *, service: str, instance: str, engine: Engine, operations: dict[str, Any]) -> None:
    """Request metrics, the pool gauges, and ``/metrics``."""
    install_request_metrics(app, service=service)
    watch_pool(engine, service=service)
    collector = OutboxCollector(app, service)
    app.extensions["metrics_collectors"] = [collector]
    app.wsgi_app = MetricsEndpoint(  # type: ignore[method-assign]
        app.wsgi_app,
        collectors=lambda: app.extensions["metrics_collectors"],
        networks=operations["METRICS_ALLOWED_NETWORKS"],
        instance=instance,
    )


def serve_metrics_port(port: int, collectors: Iterable[Collector] = ()) -> None:
    """Serve the metrics of this instance's processes on ``port``, for a process that answers no HTTP."""
    from prometheus_client import start_http_server

    start_http_server(port, registry=_Together([process_registry(), *collectors]))


def forget_process(pid: int) -> None:
    """Drop a finished process's live gauges (gunicorn calls it when a worker exits)."""
    if multiprocess_mode():
        prometheus_multiprocess.mark_process_dead(pid)


def record_delivery(service: str, kind: str, outcome: str) -> None:
    """One outbox delivery attempt: ``sent``, ``retry`` (failed, tried again later) or ``failed`` (given up)."""
    OUTBOX_ATTEMPTS.labels(service, kind, outcome).inc()


def _service_of_current_app() -> str:
    from flask import current_app

    return current_app.extensions["operations"]["SERVICE"]


def count_sign_in(outcome: str) -> None:
    """A sign-in attempt in the current app: ``ok``, ``failed`` (wrong password, refused token) or ``throttled``."""
    SIGN_INS.labels(service=_service_of_current_app(), outcome=outcome).inc()


def count_token_grant(grant_type: str) -> None:
    """Panda's token endpoint issued tokens for ``grant_type`` (``authorization_code``, ``refresh_token``)."""
    TOKEN_GRANTS.labels(grant_type=grant_type).inc()


def count_inbound_mail(outcome: str) -> None:
    """An inbound mail handled by the current app: ``ok``, or why it was set aside."""
    INBOUND_MAILS.labels(service=_service_of_current_app(), outcome=outcome).inc()
