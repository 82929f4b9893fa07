"""Passkeys as the second step: registered on the passkeys page, named, removed, used at sign-in."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from panda_portal.audit.models import AuditEvent
from panda_portal.mfa.models import Passkey
from tests.portal.mfa.authenticator import SoftwareAuthenticator
from tests.portal.mfa.helpers import code

ORIGIN = "http://localhost"  # the test client's host
OPTIONS = re.compile(r'<script type="application/json" id="(passkey-(?:registration-)?options)">(.*?)</script>', re.S)


def _options(response) -> str:
    found = OPTIONS.search(response.get_data(as_text=True))
    assert found, "no passkey options on the page"
    return html.unescape(found.group(2)) if "&#" in found.group(2) else found.group(2)


def _add_passkey(client, key: SoftwareAuthenticator, name: str = "Work laptop"):
    page = client.get("/account/two-step/passkeys")
    assert page.status_code == 200
    response = key.register(_options(page), origin=ORIGIN)
    # The CSRF token from another page: opening the passkeys page again would start a new ceremony.
    return client.post_form(
        "/account/two-step/passkeys", {"name": name, "passkey_response": response}, page="/account/two-step"
    )


def _signed_in_with_a_fresh_second_factor(client, person, login_as):
    login_as(client, person.account)
    client.post_form("/account/two-step/confirm", {"code": code(person.secret), "next": "/account/two-step"})


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_a_passkey_added_on_the_passkeys_page_is_the_second_step_at_sign_in(
    panda_client, other_client, panda_db, two_step_person, login_as, sign_in, second_step
):
    person = two_step_person(email="ann@example.org")
    key = SoftwareAuthenticator()
    _signed_in_with_a_fresh_second_factor(panda_client, person, login_as)
    added = _add_passkey(panda_client, key, "Work laptop")
    assert added.location == "/account/two-step/passkeys"
    assert "Work laptop" in panda_client.get("/account/two-step/passkeys").get_data(as_text=True)

    sign_in(other_client, "ann@example.org")
    page = other_client.get("/sign-in/two-step")
    assert 'data-passkey="get"' in page.get_data(as_text=True)
    done = second_step(other_client, passkey_response=key.sign(_options(page), origin=ORIGIN))
    assert done.status_code == 302 and _signed_in(other_client)
    with other_client.session_transaction() as session:
        assert session["amr"] == ["pwd", "hwk", "mfa"]
    actions = set(panda_db.session.scalars(select(AuditEvent.action)))
    assert "account.passkey_added" in actions


def test_a_passkey_answer_to_an_old_challenge_is_refused(
    panda_client, other_client, two_step_person, login_as, sign_in, second_step
):
    person = two_step_person(email="ann@example.org")
    key = SoftwareAuthenticator()
    _signed_in_with_a_fresh_second_factor(panda_client, person, login_as)
    _add_passkey(panda_client, key)
    sign_in(other_client, "ann@example.org")
    old_page = other_client.get("/sign-in/two-step")
    old_answer = key.sign(_options(old_page), origin=ORIGIN)
    other_client.get("/sign-in/two-step")  # a new challenge replaces the old one
    refused = second_step(other_client, passkey_response=old_answer)
    assert refused.status_code == 200 and not _signed_in(other_client)


def test_a_cloned_passkey_whose_counter_goes_back_is_refused(
    panda_client, other_client, two_step_person, login_as, sign_in, second_step
):
    person = two_step_person(email="ann@example.org")
    key = SoftwareAuthenticator()
    _signed_in_with_a_fresh_second_factor(panda_client, person, login_as)
    _add_passkey(panda_client, key)
    sign_in(other_client, "ann@example.org")
    first = second_step(
        other_client, passkey_response=key.sign(_options(other_client.get("/sign-in/two-step")), origin=ORIGIN)
    )
    assert first.status_code == 302
    other_client.post_form("/sign-out", {}, page="/account")
    sign_in(other_client, "ann@example.org")
    page = other_client.get("/sign-in/two-step")
    again = second_step(other_client, passkey_response=key.sign(_options(page), origin=ORIGIN, counter_step=0))
    assert again.status_code == 200 and not _signed_in(other_client)


def test_a_passkey_made_for_another_site_is_refused(panda_client, two_step_person, login_as):
    person = two_step_person()
    key = SoftwareAuthenticator()
    _signed_in_with_a_fresh_second_factor(panda_client, person, login_as)
    page = panda_client.get("/account/two-step/passkeys")
    response = key.register(_options(page), origin="https://evil.example")
    refused = panda_client.post_form(
        "/account/two-step/passkeys", {"name": "Evil", "passkey_response": response}, page="/account/two-step"
    )
    assert refused.status_code == 400 and "could not be checked" in refused.get_data(as_text=True)


def test_passkeys_are_renamed_and_removed_and_only_by_their_owner(
    panda, panda_client, other_client, panda_db, two_step_person, login_as
):
    ann = two_step_person(email="ann@example.org")
    bob = two_step_person(email="bob@example.org")
    _signed_in_with_a_fresh_second_factor(panda_client, ann, login_as)
    _add_passkey(panda_client, SoftwareAuthenticator(), "Phone")
    passkey = panda_db.session.scalars(select(Passkey)).one()

    _signed_in_with_a_fresh_second_factor(other_client, bob, login_as)
    other_client.post_form(f"/account/two-step/passkeys/{passkey.id}/remove", {}, page="/account/two-step/passkeys")
    other_client.post_form(
        f"/account/two-step/passkeys/{passkey.id}/rename", {"name": "Mine now"}, page="/account/two-step/passkeys"
    )
    panda_db.session.refresh(passkey)
    assert passkey.name == "Phone"

    panda_client.post_form(
        f"/account/two-step/passkeys/{passkey.id}/rename", {"name": "Old phone"}, page="/account/two-step/passkeys"
    )
    panda_db.session.refresh(passkey)
    assert passkey.name == "Old phone"
    panda_client.post_form(f"/account/two-step/passkeys/{passkey.id}/remove", {}, page="/account/two-step/passkeys")
    assert panda_db.session.scalars(select(Passkey)).all() == []


def test_the_passkeys_page_asks_for_the_second_factor_again_after_ten_minutes(panda_client, two_step_person, login_as):
    person = two_step_person()
    login_as(panda_client, person.account)
    assert panda_client.get("/account/two-step/passkeys").location.startswith("/account/two-step/confirm")


def test_the_step_up_takes_a_passkey(panda_client, two_step_person, login_as):
    person = two_step_person()
    key = SoftwareAuthenticator()
    _signed_in_with_a_fresh_second_factor(panda_client, person, login_as)
    _add_passkey(panda_client, key)
    with panda_client.session_transaction() as session:
        session["second_factor_at"] = 0
    page = panda_client.get("/account/two-step/confirm?next=/account/password")
    done = panda_client.post_form(
        "/account/two-step/confirm",
        {"passkey_response": key.sign(_options(page), origin=ORIGIN), "next": "/account/password"},
        page="/account/two-step",
    )
    assert done.location == "/account/password"
    assert panda_client.get("/account/password").status_code == 200


def test_turning_two_step_off_removes_the_passkeys(panda_client, panda_db, two_step_person, login_as):
    person = two_step_person()
    _signed_in_with_a_fresh_second_factor(panda_client, person, login_as)
    _add_passkey(panda_client, SoftwareAuthenticator())
    panda_client.post_form("/account/two-step/turn-off", {}, page="/account/two-step/turn-off")
    assert panda_db.session.scalars(select(Passkey)).all() == []


def test_malformed_passkey_answers_are_refused_without_an_error(panda_client, two_step_person, sign_in, second_step):
    two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    for answer in ("{", "[]", '{"id": 1}', '{"id": "x"}', "x" * 30_000, '{"id": "AAAA", "response": {}}'):
        assert second_step(panda_client, passkey_response=answer).status_code in (200, 400)
    assert not _signed_in(panda_client)
