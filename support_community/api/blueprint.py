"""The API's blueprint and its OpenAPI document; the views are in ``views``."""

from __future__ import annotations

from shared.api import Api

api = Api(
    "api",
    __name__,
    title="Support Community API",
    version="1.0.0",
    description="Support cases in a client's name, and the agents' queue. Authentication, scopes, errors, "
    "paging and idempotency: docs/api.md.",
)
bp = api.blueprint

import support_community.api.views.agents  # noqa: E402,F401  (their routes)
import support_community.api.views.cases  # noqa: E402,F401
import support_community.api.views.organizations  # noqa: E402,F401
