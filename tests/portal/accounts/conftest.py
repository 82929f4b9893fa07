"""Fixtures of the accounts tests.

sign_in(panda_client, "ann@example.org")                       # -> the response
outbox_count()                                                 # messages waiting in the outbox
"""

from __future__ import annotations

import pytest

from tests.portal.factories import PASSWORD


@pytest.fixture()
def in_request(panda):
    """Services speak to people: their messages need a request's language."""
    with panda.test_request_context("/"):
        yield


@pytest.fixture()
def sign_in():
    def post(client, email: str, password: str = PASSWORD, next: str | None = None, **kwargs):
        data = {"email": email, "password": password}
        if next is not None:
            data["next"] = next
        return client.post_form("/sign-in", data, page="/sign-in", **kwargs)

    return post


@pytest.fixture()
def outbox_count(panda_db):
    from sqlalchemy import func, select

    from panda_portal.outbox.models import OutboxMessage

    def count() -> int:
        return panda_db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()

    return count


@pytest.fixture()
def other_client(panda):
    client = panda.test_client()
    client.csrf_page = "/sign-in"
    return client
