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
from shared.config import configure_logging
from shared.database import Database
from shared.health import health_blueprint
from shared.i18n import init_i18n
from shared.input import install_input_guard
from shared.resilience import install_outage_handling
from shared.security import install_security_headers
from shared.sessions import DatabaseSessionInterface
from shared.web import install_shared_web


def new_app(import_name: str, settings: dict[str, Any], overrides: dict[str, Any] | None) -> Flask:
    """A Flask app with the service's settings (overrides last), logging and trusted proxies."""
    app = Flask(import_name, instance_path=None)
    app.config.from_mapping(settings)
    if overrides:
        app.config.update(overrides)
    configure_logging()
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
    """Database, outage answers, the input guard, extensions, server-side sessions, languages, headers,
    the shared layout, health checks."""
    db.init_app(app)
    install_outage_handling(app)
    install_input_guard(app)
    for extension in extensions:
        extension.init_app(app)
    app.session_interface = DatabaseSessionInterface(db, session_model, subject_key=subject_key, sid_key="sid")
    init_i18n(app, babel, person_language, [str(translations)])
    install_security_headers(app)
    install_shared_web(app)
    app.register_blueprint(health_blueprint(db))


def install_access(
    app: Flask, *, is_authenticated: Callable[[], bool], sign_in_endpoint: str, can: Callable[[str, dict], bool]
) -> None:
    """Every view's declared access, enforced; a visitor who must sign in is sent to ``sign_in_endpoint``."""

    def on_anonymous() -> ResponseReturnValue:
        if request.method == "GET":
            return redirect(url_for(sign_in_endpoint, next=request.full_path.rstrip("?")))
        abort(401)

    install_access_control(app, is_authenticated=is_authenticated, on_anonymous=on_anonymous, can=can)
