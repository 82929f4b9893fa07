"""Support Community: the relying party where cases are handled in a client's name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, url_for

from shared.app import install_access, install_foundation, new_app
from shared.errors import install_error_pages
from support_community.config import load_config
from support_community.extensions import babel, csrf, db, limiter, mail

PACKAGE_DIR = Path(__file__).resolve().parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = new_app(__name__, load_config(), config)

    from support_community import models  # noqa: F401
    from support_community.auth.models import WebSession
    from support_community.auth.session import current_user

    def person_language() -> str | None:
        user = current_user()
        if user:
            return user.locale
        # A page opened from a mail's signed link speaks the language the mail was written in.
        return g.get("language_of_link")

    install_foundation(
        app,
        db=db,
        extensions=[mail, csrf, limiter],
        babel=babel,
        session_model=WebSession,
        subject_key="sub",
        person_language=person_language,
        translations=PACKAGE_DIR / "translations",
    )
    from support_community.errors import EXPLANATIONS

    install_error_pages(app, EXPLANATIONS)

    from support_community.agents.views import bp as agents_bp
    from support_community.auth import init_auth
    from support_community.cases.views import bp as cases_bp
    from support_community.cases.views.preferences import bp as preferences_bp
    from support_community.kb.views import bp as kb_bp
    from support_community.templating import install_template_helpers

    install_template_helpers(app)
    init_auth(app)
    app.register_blueprint(cases_bp)
    app.register_blueprint(agents_bp)
    app.register_blueprint(preferences_bp)
    app.register_blueprint(kb_bp)
    from support_community.cases.views.rating import bp as rating_bp

    app.register_blueprint(rating_bp)

    from support_community.webhooks import init_webhooks

    init_webhooks(app)

    from support_community.api import init_api

    init_api(app)  # after the other blueprints: its error answers wrap theirs

    from support_community.permissions import can

    install_access(app, is_authenticated=lambda: current_user() is not None, sign_in_endpoint="auth.sign_in", can=can)

    @app.context_processor
    def _layout_context() -> dict[str, Any]:
        if not has_request_context():
            # A mail rendered by a service outside a request (CLI, worker) has no page around it.
            return {"service_name": app.config["SERVICE_NAME"]}
        return {
            "service_name": app.config["SERVICE_NAME"],
            "home_url": url_for("cases.home"),
            "current_user": current_user(),
            "panda_url": app.config["PANDA_ISSUER"],
        }

    from support_community.cases.emails import delivery

    delivery.install()  # a case mail leaves only while its recipient may see the case
    from support_community.cases.services import sla

    sla.install()  # due times follow every change of a case, whatever writes it

    from support_community.cli import register_commands

    register_commands(app)
    return app
