"""A property-based run of the community's OpenAPI document (Schemathesis): requests made from the document,
valid and invalid, for a member and for an agent; no answer is a server error, every answer is one the
document declares (status, content type, headers, body schema), and a request the document calls invalid
is refused.

Schemathesis's check that every schema-valid request is accepted is left out: a schema cannot say which
products exist, which cursors this service made or that a closed case takes no reply, and the API refuses
those (422, 409) as the pages do."""

from __future__ import annotations

import contextvars

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.community.api.support import access_token
from tests.community.auth.fake_op import org
from tests.community.factories import acting_as, open_case

PEETERS = org("Bakkerij Peeters BV")


def _document() -> dict:
    """The document as the code makes it (an app of its own: the document needs no database)."""
    from support_community import create_app
    from support_community.api.blueprint import api

    app = create_app({"TESTING": True, "APP_ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "document"})
    with app.app_context():
        return api.document(app)


class _CurrentCommunity:
    """The WSGI app Schemathesis calls: the test's community, each request in an application context of its own."""

    app = None

    def __call__(self, environ, start_response):
        return contextvars.Context().run(lambda: list(self.app(environ, start_response)))


TARGET = _CurrentCommunity()
schema = schemathesis.openapi.from_dict(_document())
schema.app = TARGET


@pytest.fixture()
def tokens(community, fake_panda, demo_catalog, store):
    """A member of Peeters (with a case) and an agent, on the test's community."""
    ann = fake_panda.add_user(orgs=[PEETERS])
    open_case(PEETERS, acting_as(ann))
    sam = fake_panda.add_user(name="Sam Support", roles=["support_agent"])
    acting_as(sam)
    TARGET.app = community
    yield {"member": access_token(fake_panda, ann.sub), "agent": access_token(fake_panda, sam.sub, scope="agent")}
    TARGET.app = None


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_answer_is_declared_and_none_is_a_server_error(case, tokens):
    for who in ("member", "agent"):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {tokens[who]}"}, excluded_checks=[positive_data_acceptance]
        )
