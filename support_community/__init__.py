"""Support Community: the relying party where cases are handled in a client's name."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, abort, has_request_context, redirect, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.access import install_access_control
from shared.config import configure_logging
from shared.health import health_blueprint
from shared.i18n import init_i18n
from shared.security import install_security_headers
from shared.sessions import DatabaseSessionInterface
from shared.web import install_shared_web
from support_community.config import load_config
from support_community.errors import install_error_pages
from support_community.extensions import babel, csrf, db, limiter, mail

PACKAGE_DIR = Path(__file__).resolve().parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=None)
    app.config.from_mapping(load_config())
    if config:
        app.config.update(config)
    configure_logging()
    if app.config.get("PROXY_FIX_HOPS"):
        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    from support_community import models  # noqa: F401
    from support_community.auth.models import WebSession
    from support_community.auth.session import current_user

    db.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.session_interface = DatabaseSessionInterface(db, WebSession, subject_key="sub", sid_key="sid")

    def person_language() -> str | None:
        user = current_user()
        return user.locale if user else None

    init_i18n(app, babel, person_language,
              [str(PACKAGE_DIR / "translations")])
    install_security_headers(app)
    install_shared_web(app)
    install_error_pages(app)

    from support_community.auth import init_auth
    from support_community.agents.views import bp as agents_bp
    from support_community.cases.preferences import bp as preferences_bp
    from support_community.cases.views import bp as cases_bp

    app.register_blueprint(health_blueprint(db))
    init_auth(app)
    app.register_blueprint(cases_bp)
    app.register_blueprint(agents_bp)
    app.register_blueprint(preferences_bp)

    from support_community.permissions import can

    def on_anonymous():
        if request.method == "GET":
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        abort(401)

    install_access_control(app, is_authenticated=lambda: current_user() is not None,
                           on_anonymous=on_anonymous, can=can)

    @app.context_processor
    def _layout_context() -> dict:
        if not has_request_context():
            # A mail rendered by a service outside a request (CLI, worker) has no page around it.
            return {"service_name": app.config["SERVICE_NAME"]}
        return {
            "service_name": app.config["SERVICE_NAME"],
            "home_url": url_for("cases.home"),
            "current_user": current_user(),
            "panda_url": app.config["PANDA_ISSUER"],
        }

    from support_community.cli import register_commands
    register_commands(app)
    return app
