"""``ETag`` on single resources and ``If-Match`` on changes (RFC 9110, section 13.1.1)."""

from __future__ import annotations

import hashlib

from flask import request
from flask_babel import gettext as _

from shared.api.problems import ApiProblem


def etag_of(*parts: object) -> str:
    """A strong ETag (quoted) from what identifies a version of the resource (its id and change time, say)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def check_if_match(current: str, *, required: bool = False) -> None:
    """Refuse a change made from an old copy: 412 when ``If-Match`` names another version.

    ``*`` matches any version. Without the header the change goes ahead, unless
    ``required`` (then 428).
    """
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            raise ApiProblem(428, _("Send If-Match with the ETag you last read."))
        return
    candidates = [value.strip() for value in header.split(",")]
    if "*" in candidates:
        return
    if current not in [value.removeprefix("W/") for value in candidates]:
        raise ApiProblem(
            412,
            _("The resource changed since you read it. Read it again and retry."),
            headers={"ETag": current},
        )
