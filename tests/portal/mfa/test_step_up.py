"""Changing the password with two-step verification on asks for the second factor when it is old."""

from __future__ import annotations

import time

from tests.portal.factories import NEW_PASSWORD, PASSWORD
from tests.portal.mfa.helpers import code


def _change(client, current=PASSWORD, new=NEW_PASSWORD):
    return client.post_form(
        "/account/password", {"current_password": current, "new_password": new}, page="/account/password"
    )


def test_a_password_change_asks_for_the_code_when_the_last_one_is_older_than_ten_minutes(
    panda_client, two_step_person, login_as
):
    person = two_step_person()
    login_as(panda_client, person.account)  # signed in without a second factor in this session
    assert panda_client.get("/account/password").location == "/account/two-step/confirm?next=/account/password"
    refused = panda_client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "csrf_token": panda_client.csrf_token()},
    )
    assert refused.location.startswith("/account/two-step/confirm")
    panda_client.post_form("/account/two-step/confirm", {"code": code(person.secret), "next": "/account/password"})
    assert _change(panda_client).location == "/account"


def test_the_step_up_records_the_time_and_the_methods_in_the_session(panda_client, two_step_person, login_as):
    person = two_step_person()
    login_as(panda_client, person.account)
    panda_client.post_form("/account/two-step/confirm", {"code": code(person.secret), "next": "/account"})
    with panda_client.session_transaction() as session:
        assert session["amr"] == ["pwd", "otp", "mfa"]
        assert time.time() - session["second_factor_at"] < 60


def test_the_step_up_page_does_not_follow_an_off_site_next(panda_client, two_step_person, login_as):
    person = two_step_person()
    login_as(panda_client, person.account)
    done = panda_client.post_form("/account/two-step/confirm", {"code": code(person.secret), "next": "//evil.example/"})
    assert done.location == "/account/two-step"


def test_wrong_codes_on_the_step_up_page_are_throttled(panda, panda_client, two_step_person, login_as, monkeypatch):
    monkeypatch.setitem(panda.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    person = two_step_person()
    login_as(panda_client, person.account)
    for _ in range(2):
        panda_client.post_form("/account/two-step/confirm", {"code": "000000"})
    assert panda_client.post_form("/account/two-step/confirm", {"code": code(person.secret)}).status_code == 429
