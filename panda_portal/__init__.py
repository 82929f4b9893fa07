"""Panda portal: the OpenID Provider and organization portal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, url_for

from panda_portal.config import load_config
from panda_portal.extensions import babel, csrf, db, limiter, mail
from shared.app import install_access, install_foundation, new_app
from shared.errors import install_error_pages

PACKAGE_DIR = Path(__file__).resolve().parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = new_app(__name__, load_config(), config)

    # Models must be imported before anything reflects on the metadata.
    from panda_portal import models  # noqa: F401
    from panda_portal.accounts.models import WebSession
    from panda_portal.accounts.session import current_account

    def person_language() -> str | None:
        account = current_account()
        return account.language if account else None

    install_foundation(
        app,
        db=db,
        extensions=[mail, csrf, limiter],
        babel=babel,
        session_model=WebSession,
        subject_key="account_id",
        person_language=person_language,
        translations=PACKAGE_DIR / "translations",
    )
    from panda_portal.errors import EXPLANATIONS

    install_error_pages(app, EXPLANATIONS)

    from panda_portal.accounts.views import bp as accounts_bp
    from panda_portal.audit.views import bp as audit_bp
    from panda_portal.mfa import init_mfa
    from panda_portal.oidc import init_oidc
    from panda_portal.organizations.views import bp as organizations_bp
    from panda_portal.personal_tokens.views import bp as personal_tokens_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(personal_tokens_bp)
    init_mfa(app)
    init_oidc(app)

    from panda_portal.webhooks import init_webhooks

    init_webhooks(app)

    from panda_portal.api.app import init_api

    init_api(app)  # after the other blueprints (its errors answer as problem+json under /api/)

    from panda_portal.organizations.services.bulk_adding import OUTBOX_KIND, process_bulk_add
    from panda_portal.outbox.services import outbox

    outbox.register(OUTBOX_KIND, process_bulk_add)

    from panda_portal.permissions import can

    install_access(
        app, is_authenticated=lambda: current_account() is not None, sign_in_endpoint="accounts.sign_in", can=can
    )

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
