"""The community's API under ``/api/v1/``: organizations, cases, the agents' queue (``docs/api.md``).

The views call the same services and ``permissions.can`` as the web pages; a bearer
token issued by Panda (``tokens``) decides who calls, and the person's rows in
``auth.access`` what they may do. ``init_api`` registers it (after the other blueprints).
"""

from __future__ import annotations

from flask import Flask, current_app


def init_api(app: Flask) -> None:
    from support_community.api.blueprint import api
    from support_community.api.models import IdempotentRequest
    from support_community.api.tokens import resolve
    from support_community.extensions import csrf, db, limiter

    api.init_app(
        app,
        db=db,
        resolver=resolve,
        idempotency_model=IdempotentRequest,
        csrf=csrf,
        limiter=limiter,
        rate_limit=lambda: current_app.config["COMMUNITY_API_RATE_LIMIT"],
    )
