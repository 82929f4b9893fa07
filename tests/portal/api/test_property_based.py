"""A property-based run of Panda's OpenAPI document (Schemathesis): requests made from the document, valid and
invalid, for an organization's administrator and for the vendor's staff; no answer is a server error, every
answer is one the document declares (status, content type, headers, body schema)."""

from __future__ import annotations

import contextvars
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance


def _document() -> dict:
    """The document as the code makes it (an app of its own: the document needs no database)."""
    from panda_portal import create_app
    from panda_portal.api.app import api

    app = create_app({"TESTING": True, "APP_ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "document"})
    with app.app_context():
        return api.document(app)


class _CurrentPanda:
    """The WSGI app Schemathesis calls: the test's Panda, each request in a context of its own."""

    app = None

    def __call__(self, environ, start_response):
        return contextvars.Context().run(lambda: list(self.app(environ, start_response)))


TARGET = _CurrentPanda()
schema = schemathesis.openapi.from_dict(_document())
schema.app = TARGET


@pytest.fixture()
def tokens(panda, panda_db, make_account, make_org, make_membership, make_pat):
    """An administrator of an organization (with a member and a request to join) and a support agent."""
    admin, member, asker = make_account(), make_account(), make_account()
    org = make_org()
    make_membership(admin, org, role="admin")
    make_membership(member, org)
    make_membership(asker, org, status="pending")
    agent = make_account(support_agent=True)
    panda_db.session.commit()
    TARGET.app = panda
    yield {"admin": make_pat(admin), "agent": make_pat(agent)}
    TARGET.app = None


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_answer_is_declared_and_none_is_a_server_error(case, tokens):
    # A cursor is signed by the service: one made up from the document is refused (422), as documented.
    # So is a webhook URL whose host is private or does not resolve: no schema can say where a host leads.
    made_up = (case.query or {}).get("cursor") or (case.method == "POST" and case.path.endswith("/webhooks"))
    excluded = [positive_data_acceptance] if made_up else []
    for who in ("admin", "agent"):
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        key = (case.headers or {}).get("Idempotency-Key")
        if isinstance(key, str) and 0 < len(key) <= 255:
            headers["Idempotency-Key"] = uuid.uuid4().hex  # a valid key, new per request (as a client's are)
        case.call_and_validate(headers=headers, excluded_checks=excluded)
