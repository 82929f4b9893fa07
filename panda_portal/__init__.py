"""Panda portal: the OpenID Provider and organization portal."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, abort, has_request_context, redirect, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from panda_portal.config import load_config
from panda_portal.errors import install_error_pages
from panda_portal.extensions import babel, csrf, db, limiter, mail

from shared.access import install_access_control
from shared.config import configure_logging
from shared.health import health_blueprint
from shared.i18n import init_i18n
from shared.security import install_security_headers
from shared.sessions import DatabaseSessionInterface
from shared.web import install_shared_web

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

    # Models must be imported before anything reflects on the metadata.
    from panda_portal import models  # noqa: F401
    from panda_portal.accounts.models import WebSession
    from panda_portal.accounts.session import current_account

    db.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.session_interface = DatabaseSessionInterface(db, WebSession, subject_key="account_id")

    def person_language() -> str | None:
        account = current_account()
        return account.language if account else None

    init_i18n(app, babel, person_language,
              [str(PACKAGE_DIR / "translations")])
    install_security_headers(app)
    install_shared_web(app)
    install_error_pages(app)

    from panda_portal.accounts.views import bp as accounts_bp
    from panda_portal.audit.views import bp as audit_bp
    from panda_portal.oidc import init_oidc
    from panda_portal.organizations.views import bp as organizations_bp

    app.register_blueprint(health_blueprint(db))
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(audit_bp)
    init_oidc(app)

    from panda_portal.permissions import can

    def on_anonymous():
        if request.method == "GET":
            return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
        abort(401)

    install_access_control(app, is_authenticated=lambda: current_account() is not None,
                           on_anonymous=on_anonymous, can=can)

    @app.context_processor
    def _layout_context() -> dict:
        if not has_request_context():
            # A mail rendered by a service outside a request (CLI, worker) has no page around it.
            return {"service_name": app.config["SERVICE_NAME"]}
        return {
            "service_name": app.config["SERVICE_NAME"],
            "home_url": url_for("organizations.home"),
            "current_account": current_account(),
        }

    from panda_portal.cli import register_commands
    register_commands(app)
    return app
