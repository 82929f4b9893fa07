"""Signing in with two-step verification: the password, then a code, and no session in between."""

from __future__ import annotations

import time
import types

import itsdangerous.timed
import pytest
from sqlalchemy import func, select

from panda_portal.accounts.models import WebSession
from panda_portal.audit.models import AuditEvent
from panda_portal.mfa.pending import PENDING_COOKIE, PENDING_SECONDS, REMEMBER_COOKIE
from tests.portal.factories import NEW_PASSWORD, PASSWORD
from tests.portal.mfa.helpers import code

WRONG = "not the right password"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _sessions_of(panda_db, account) -> int:
    return panda_db.session.execute(
        select(func.count()).select_from(WebSession).where(WebSession.subject == str(account.id))
    ).scalar_one()


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_after_the_password_the_code_is_asked_and_no_session_exists_in_between(
    panda_client, panda_db, two_step_person, sign_in
):
    person = two_step_person(email="ann@example.org")
    response = sign_in(panda_client, "ann@example.org")
    assert response.status_code == 302 and response.location.startswith("/sign-in/two-step")
    # Between the password and the code, every signed-in page refuses, and no session row exists.
    assert panda_client.get("/account").status_code == 302
    assert panda_client.get("/").location.startswith("/sign-in")
    assert panda_client.post_form("/account/two-step/forget-browsers", {}).status_code == 401
    assert _sessions_of(panda_db, person.account) == 0
    page = panda_client.get("/sign-in/two-step")
    assert page.status_code == 200
    html = _text(page)
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert 'name="recovery_code"' in html and 'name="remember"' in html


def test_the_right_code_finishes_the_sign_in(panda_client, panda_db, two_step_person, sign_in, second_step):
    person = two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    response = second_step(panda_client, code=code(person.secret))
    assert response.status_code == 302 and response.location == "/"
    assert _signed_in(panda_client)
    assert _sessions_of(panda_db, person.account) == 1
    with panda_client.session_transaction() as session:
        assert session["amr"] == ["pwd", "otp", "mfa"]
        assert abs(session["second_factor_at"] - time.time()) < 60
    assert PENDING_COOKIE not in {cookie.key for cookie in panda_client._cookies.values() if cookie.value}


def test_an_openid_clients_authorize_request_continues_after_the_code(
    panda_client, two_step_person, sign_in, second_step
):
    person = two_step_person(email="ann@example.org")
    target = "/authorize?client_id=community&response_type=code&state=s%26t&scope=openid+orgs"
    response = sign_in(panda_client, "ann@example.org", next=target)
    assert response.location.startswith("/sign-in/two-step?next=")
    page = panda_client.get(response.location)
    assert 'name="next" value="/authorize?client_id=community&amp;response_type=code' in _text(page)
    done = second_step(panda_client, code=code(person.secret), next=target)
    assert done.location == target


def test_an_off_site_next_is_not_followed_after_the_code(panda_client, two_step_person, sign_in, second_step):
    person = two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    done = second_step(panda_client, code=code(person.secret), next="https://evil.example/")
    assert done.location == "/"


def test_a_replayed_code_is_refused(panda_client, other_client, two_step_person, sign_in, second_step):
    person = two_step_person(email="ann@example.org")
    seen = code(person.secret)
    sign_in(panda_client, "ann@example.org")
    assert second_step(panda_client, code=seen).status_code == 302
    # Someone who looked over her shoulder types the same code within its 30 seconds.
    sign_in(other_client, "ann@example.org")
    replay = second_step(other_client, code=seen)
    assert replay.status_code == 200
    assert "not correct, or it has been used already" in _text(replay)
    assert not _signed_in(other_client)


def test_a_wrong_code_keeps_you_out(panda_client, two_step_person, sign_in, second_step):
    person = two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    right = code(person.secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = second_step(panda_client, code=wrong)
    assert response.status_code == 200 and 'aria-invalid="true"' in _text(response)
    assert not _signed_in(panda_client)


def test_a_recovery_code_works_once(
    panda_client, other_client, panda_db, two_step_person, sign_in, second_step, deliver
):
    person = two_step_person(email="ann@example.org", language="nl")
    paper = person.recovery_codes[3]
    sign_in(panda_client, "ann@example.org")
    assert second_step(panda_client, recovery_code=paper.upper().replace("-", " ")).status_code == 302
    assert _signed_in(panda_client)
    sign_in(other_client, "ann@example.org")
    again = second_step(other_client, recovery_code=paper)
    assert again.status_code == 200 and not _signed_in(other_client)
    used = panda_db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "account.recovery_code_used")
    ).scalar_one()
    assert used.subject_account_id == person.account.id and used.after == {"recovery_codes_left": 9}
    mail = deliver("ann@example.org")
    assert "herstelcode" in mail.subject.lower()
    assert "9" in mail.text


def test_the_code_page_without_a_password_first_sends_you_to_sign_in(panda_client, second_step):
    assert panda_client.get("/sign-in/two-step").location.startswith("/sign-in")
    panda_client.set_cookie(PENDING_COOKIE, "forged.value.here", path="/sign-in")
    assert panda_client.get("/sign-in/two-step").location.startswith("/sign-in")
    assert second_step(panda_client, code="123456").location.startswith("/sign-in")


def test_a_sign_in_left_waiting_for_its_code_expires(panda_client, two_step_person, sign_in, second_step, monkeypatch):
    person = two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    later = time.time() + PENDING_SECONDS + 5
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: later))
    response = second_step(panda_client, code=code(person.secret))
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    assert not _signed_in(panda_client)


def test_a_password_changed_while_the_code_was_awaited_voids_the_sign_in(
    panda, panda_client, panda_db, two_step_person, sign_in, second_step
):
    from panda_portal.accounts.services.passwords import change_password

    person = two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    with panda.test_request_context("/"):
        change_password(person.account, PASSWORD, NEW_PASSWORD, actor=person.account)
        panda_db.session.commit()
    response = second_step(panda_client, code=code(person.secret))
    assert response.location.startswith("/sign-in") and not _signed_in(panda_client)


def test_a_wrong_password_looks_the_same_with_or_without_two_step_verification(
    panda_client, make_account, two_step_person, sign_in
):
    from tests.portal.accounts.helpers import same_page

    two_step_person(email="ann@example.org")
    make_account(email="bob@example.org")
    ann = sign_in(panda_client, "ann@example.org", WRONG)
    bob = sign_in(panda_client, "bob@example.org", WRONG)
    assert ann.status_code == bob.status_code == 200
    assert same_page(_text(ann)).replace("ann@", "X@") == same_page(_text(bob)).replace("bob@", "X@")


def test_wrong_codes_are_throttled_like_wrong_passwords(
    panda, panda_client, two_step_person, sign_in, second_step, monkeypatch
):
    monkeypatch.setitem(panda.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "3 per 15 minutes")
    person = two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    for _ in range(3):
        assert second_step(panda_client, code="000000").status_code == 200
    throttled = second_step(panda_client, code=code(person.secret))  # even the right code waits
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert not _signed_in(panda_client)


@pytest.mark.parametrize("typed", ["💥" * 50, "x" * 20_000, "1e309", "<script>", "12345\u202e6", "-1"])
def test_a_malformed_code_is_answered_without_an_error(panda_client, two_step_person, sign_in, second_step, typed):
    two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    assert second_step(panda_client, code=typed).status_code in (200, 400)
    assert second_step(panda_client, recovery_code=typed).status_code in (200, 400)
    assert not _signed_in(panda_client)


def test_an_empty_code_asks_for_one(panda_client, two_step_person, sign_in, second_step):
    two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    response = second_step(panda_client)
    assert response.status_code == 400 and "or a recovery code" in _text(response)


# -- remember this browser ---------------------------------------------------------------------
def _remembered(client, sign_in, second_step, person) -> None:
    sign_in(client, person.account.email)
    assert second_step(client, code=code(person.secret), remember=True).status_code == 302
    client.post_form("/sign-out", {}, page="/account")


def test_a_remembered_browser_skips_the_code(panda_client, two_step_person, sign_in, second_step):
    person = two_step_person(email="ann@example.org")
    _remembered(panda_client, sign_in, second_step, person)
    assert not _signed_in(panda_client)
    response = sign_in(panda_client, "ann@example.org")
    assert response.location == "/" and _signed_in(panda_client)
    with panda_client.session_transaction() as session:
        assert session["amr"] == ["pwd"] and "second_factor_at" not in session


def test_a_remembered_browser_does_not_skip_the_code_for_someone_else(
    panda_client, two_step_person, sign_in, second_step
):
    ann = two_step_person(email="ann@example.org")
    two_step_person(email="bob@example.org")
    _remembered(panda_client, sign_in, second_step, ann)
    assert sign_in(panda_client, "bob@example.org").location.startswith("/sign-in/two-step")


def test_remember_this_browser_is_revoked_by_a_password_change(
    panda_client, panda_db, two_step_person, sign_in, second_step
):
    person = two_step_person(email="ann@example.org")
    _remembered(panda_client, sign_in, second_step, person)
    # She signs in (remembered), gives a code to confirm it is her, and changes her password.
    sign_in(panda_client, "ann@example.org")
    assert panda_client.get("/account/password").location.startswith("/account/two-step/confirm")
    panda_client.post_form(
        "/account/two-step/confirm", {"code": code(person.secret, steps_from_now=1), "next": "/account/password"}
    )
    changed = panda_client.post_form(
        "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, page="/account/password"
    )
    assert changed.location == "/account"
    panda_client.post_form("/sign-out", {}, page="/account")
    again = sign_in(panda_client, "ann@example.org", NEW_PASSWORD)
    assert again.location.startswith("/sign-in/two-step")
    forgotten = panda_db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "account.remembered_browsers_forgotten")
    ).scalar_one()
    assert forgotten.after == {"browsers": 1, "reason": "password_changed"}


def test_a_remembered_browser_cookie_copied_to_another_account_or_forged_does_not_skip_the_code(
    panda_client, two_step_person, sign_in
):
    two_step_person(email="ann@example.org")
    panda_client.set_cookie(REMEMBER_COOKIE, "forged.value.here", path="/sign-in")
    assert sign_in(panda_client, "ann@example.org").location.startswith("/sign-in/two-step")
