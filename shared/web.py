"""The shared layout, stylesheet and form helpers, registered by both services."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Flask

shared_blueprint = Blueprint(
    "shared",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/shared-static",
)


def install_shared_web(app: Flask) -> None:
    app.register_blueprint(shared_blueprint)


# C0 and C1 control characters and DEL: a line break would end up in the ``Location`` header.
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only same-site relative paths are followed after a form post; anything else, or a path with
    control characters (a line break would end up in the ``Location`` header), gives ``fallback``."""
    if not target or _CONTROL_CHARACTERS.search(target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target
