"""Panda's capability check, used by the access hook, views, templates and services.

Each domain keeps its own role → capability table; ``can`` dispatches on the
capability's prefix (``org.*`` → organizations).
"""
from __future__ import annotations

from flask import abort


def can(capability: str, view_args: dict) -> bool:
    # No organization-owned routes exist yet; refuse anything unknown.
    abort(404)
