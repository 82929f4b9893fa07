"""Mails of the organizations domain, one module per concern, each in its recipient's language.

Links are absolute and built from ``PANDA_ISSUER``: a mail is read outside the
site, and may be queued where there is no request to take a host name from.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def panda_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of a Panda page, as seen from outside (``PANDA_ISSUER``)."""
    issuer = urlsplit(current_app.config["PANDA_ISSUER"])
    adapter = current_app.url_map.bind(
        issuer.netloc, script_name=issuer.path or "/", url_scheme=issuer.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
