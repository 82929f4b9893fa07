"""The shared layout, stylesheet and form helpers, registered by both services."""
from __future__ import annotations

from flask import Blueprint, Flask

shared_blueprint = Blueprint(
    "shared", __name__, template_folder="templates", static_folder="static",
    static_url_path="/shared-static",
)


def install_shared_web(app: Flask) -> None:
    app.register_blueprint(shared_blueprint)
