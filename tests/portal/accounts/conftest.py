"""Helpers for the accounts tests.

    account = make_account(email="ann@example.org", name="Ann")   # confirmed, PASSWORD
    sign_in(panda_client, "ann@example.org")                       # -> the response
    mail = deliver(mail_sink, "ann@example.org")                   # runs the outbox
"""
from __future__ import annotations

import itertools
import re

import pytest

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "purple elephants dance at noon"
_counter = itertools.count(1)
_CSRF_VALUE = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+"')


def same_page(html: str) -> str:
    """A page without the parts that differ on every request (CSRF tokens)."""
    return _CSRF_VALUE.sub(r'\1…"', html)


@pytest.fixture()
def make_account(panda_db):
    from panda_portal.accounts import services

    def make(*, email: str | None = None, name: str | None = None, password: str = PASSWORD,
             language: str = "en", verified: bool = True, support_agent: bool = False):
        n = next(_counter)
        account = services.create_account(email or f"person{n}@example.org", name or f"Person {n}",
                                          password, language, verified=verified, support_agent=support_agent)
        panda_db.session.commit()
        return account

    return make


@pytest.fixture()
def sign_in():
    def post(client, email: str, password: str = PASSWORD, next: str | None = None, **kwargs):
        data = {"email": email, "password": password}
        if next is not None:
            data["next"] = next
        return client.post_form("/sign-in", data, page="/sign-in", **kwargs)

    return post


@pytest.fixture()
def deliver(panda, panda_db, mail_sink):
    """Deliver what the outbox holds; returns the last mail to ``address`` (or None)."""
    from panda_portal.outbox.services import outbox

    def run(address: str | None = None):
        panda_db.session.flush()  # the worker reads through its own session
        outbox.deliver_due(panda)
        if address is None:
            return None
        found = mail_sink.to(address)
        return found[-1] if found else None

    return run


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
