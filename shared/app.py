"""What both services' app factories do alike: settings, proxies, extensions, sessions, pages.

Each service's ``create_app`` keeps what is its own (its models, blueprints,
capabilities and sign-in page) and calls these for the rest, so the two stay
configured the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import Babel
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.access import install_access_control
from shared.database import Database
from shared.health import health_blueprint
from shared.i18n import init_i18n
from shared.input import install_input_guard
from shared.logs import configure_logging, install_request_logging
from shared.metrics import install_metrics
from shared.resilience import install_outage_handling
from shared.security import install_security_headers
from shared.sessions import DatabaseSessionInterface
from shared.settings import operations_settings
from shared.tracing import install_tracing
from shared.web import install_shared_web


def new_app(import_name: str, settings: dict[str, Any], overrides: dict[str, Any] | None) -> Flask:
    """A Flask app with the service's settings (overrides last), logging and trusted proxies.

    The process settings (instance name, log format, metrics, tracing: ``shared.settings.OPERATIONS``)
    are kept in ``app.extensions["operations"]``, with the service's name under ``SERVICE``.
    """
    app = Flask(import_name, instance_path=None)
    app.config.from_mapping(settings)
    if overrides:
        app.config.update(overrides)
    operations = operations_settings(overrides)
    operations["SERVICE"] = import_name.split(".")[0]
    app.extensions["operations"] = operations
    configure_logging(
        service=operations["SERVICE"],
        instance=operations["INSTANCE_NAME"],
        fmt=operations["LOG_FORMAT"],
        level=str(app.config["LOG_LEVEL"]),
    )
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    return app


def install_foundation(
    app: Flask,
    *,
    db: Database,
    extensions: list[Any],
    babel: Babel,
    session_model: type,
    subject_key: str,
    person_language: Callable[[], str | None],
    translations: Path,
) -> None:
    """Request ids and logs, database, metrics, outage answers, the input guard, extensions, server-side
    sessions, languages, headers, the shared layout, health checks, tracing."""
    operations = app.extensions["operations"]
    service, instance = operations["SERVICE"], operations["INSTANCE_NAME"]
    # First, so that every other hook's log lines carry the request id.
    install_request_logging(app, service=service, instance=instance, subject_key=subject_key)
    db.init_app(app)
    install_metrics(app, service=service, instance=instance, engine=db.state(app).engine, operations=operations)
    install_outage_handling(app)
    install_input_guard(app)
    for extension in extensions:
        extension.init_app(app)
    app.session_interface = DatabaseSessionInterface(db, session_model, subject_key=subject_key, sid_key="sid")
    init_i18n(app, babel, person_language, [str(translations)])
    install_security_headers(app)
    install_shared_web(app)
    app.register_blueprint(health_blueprint(db, instance=instance))
    install_tracing(app, service=service, instance=instance, operations=operations)


def install_access(
    app: Flask, *, is_authenticated: Callable[[], bool], sign_in_endpoint: str, can: Callable[[str, dict], bool]
) -> None:
    """Every view's declared access, enforced; a visitor who must sign in is sent to ``sign_in_endpoint``."""

    def on_anonymous() -> ResponseReturnValue:
        if request.method == "GET":
            return redirect(url_for(sign_in_endpoint, next=request.full_path.rstrip("?")))
        abort(401)

    install_access_control(app, is_authenticated=is_authenticated, on_anonymous=on_anonymous, can=can)
