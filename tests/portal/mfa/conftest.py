"""Fixtures of the two-step tests.

person = two_step_person(email="ann@example.org")   # an account with two-step verification on
person.secret, person.recovery_codes                 # what its app and its paper hold
sign_in(panda_client, "ann@example.org")              # the password step (-> the response)
second_step(panda_client, code="123456")              # the code step (-> the response)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.portal.factories import PASSWORD
from tests.portal.mfa.helpers import turn_on


@dataclass
class TwoStepPerson:
    account: object
    secret: str
    recovery_codes: list[str]


@pytest.fixture()
def in_request(panda):
    """Services speak to people: their messages need a request's language."""
    with panda.test_request_context("/"):
        yield


@pytest.fixture()
def two_step_person(panda, make_account):
    def make(**kwargs) -> TwoStepPerson:
        account = make_account(**kwargs)
        with panda.test_request_context("/"):
            secret, codes = turn_on(account)
        return TwoStepPerson(account, secret, codes)

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
def second_step():
    def post(
        client,
        *,
        code: str = "",
        recovery_code: str = "",
        passkey_response: str = "",
        remember: bool = False,
        next: str = "",
        **kwargs,
    ):
        data = {"code": code, "recovery_code": recovery_code, "passkey_response": passkey_response, "next": next}
        if remember:
            data["remember"] = "y"
        return client.post_form("/sign-in/two-step", data, page="/sign-in", **kwargs)

    return post


@pytest.fixture()
def other_client(panda):
    """A second browser."""
    client = panda.test_client()
    client.csrf_page = "/sign-in"
    return client
