"""Failed sign-ins are throttled per account from each client address and per client address; mail-sending forms
per address."""

from __future__ import annotations

import pytest

from tests.portal.accounts.helpers import same_page
from tests.portal.factories import PASSWORD

WRONG = "not the right password"


@pytest.fixture()
def limits(panda, monkeypatch):
    def set_limits(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setitem(panda.config, key, value)

    return set_limits


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_an_account_is_throttled_after_too_many_failed_sign_ins(panda_client, make_account, sign_in, limits):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    make_account(email="ann@example.org")
    for _ in range(3):
        assert sign_in(panda_client, "ann@example.org", WRONG).status_code == 200
    throttled = sign_in(panda_client, "ann@example.org")  # even the right password waits
    assert throttled.status_code == 429
    page = _text(throttled)
    assert "Too many attempts" in page
    assert 'action="/sign-in"' in page and 'autocomplete="current-password"' in page
    assert int(throttled.headers["Retry-After"]) > 0
    assert panda_client.get("/").status_code == 302


def test_the_account_limit_counts_the_address_as_typed_in_any_case(panda_client, make_account, sign_in, limits):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    make_account(email="ann@example.org")
    sign_in(panda_client, "ann@example.org", WRONG)
    sign_in(panda_client, "ANN@example.org", WRONG)
    assert sign_in(panda_client, " Ann@Example.org ", WRONG).status_code == 429


def test_a_successful_sign_in_does_not_count_towards_the_account_limit(panda_client, make_account, sign_in, limits):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    make_account(email="ann@example.org")
    sign_in(panda_client, "ann@example.org", WRONG)
    sign_in(panda_client, "ann@example.org", WRONG)
    for _ in range(3):
        assert sign_in(panda_client, "ann@example.org").status_code == 302
    assert sign_in(panda_client, "ann@example.org", WRONG).status_code == 200
    assert sign_in(panda_client, "ann@example.org", WRONG).status_code == 429


def test_throttling_does_not_tell_whether_an_account_exists(panda_client, make_account, sign_in, limits):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    make_account(email="ann@example.org")
    answers = {}
    for address in ("ann@example.org", "bob@example.org"):
        for _ in range(2):
            sign_in(panda_client, address, WRONG)
        answers[address] = sign_in(panda_client, address, WRONG)
    known, unknown = answers["ann@example.org"], answers["bob@example.org"]
    assert known.status_code == unknown.status_code == 429
    assert same_page(_text(known)).replace("ann@", "X@") == same_page(_text(unknown)).replace("bob@", "X@")


def test_one_client_address_is_throttled_across_accounts(panda_client, other_client, make_account, sign_in, limits):
    limits(SIGN_IN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    make_account(email="ann@example.org")
    here = {"REMOTE_ADDR": "192.0.2.10"}
    elsewhere = {"REMOTE_ADDR": "192.0.2.20"}
    for n in range(3):
        assert sign_in(panda_client, f"guess{n}@example.org", WRONG, environ_base=here).status_code == 200
    assert sign_in(panda_client, "ann@example.org", environ_base=here).status_code == 429
    assert sign_in(other_client, "ann@example.org", environ_base=elsewhere).status_code == 302


ATTACKER = {"REMOTE_ADDR": "198.51.100.7"}
OWNER = {"REMOTE_ADDR": "203.0.113.25"}


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_another(
    panda_client, other_client, make_account, sign_in, limits
):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    make_account(email="ann@example.org")
    for _ in range(3):
        assert sign_in(panda_client, "ann@example.org", WRONG, environ_base=ATTACKER).status_code == 200
    assert sign_in(panda_client, "ann@example.org", WRONG, environ_base=ATTACKER).status_code == 429

    owner = sign_in(other_client, "ann@example.org", environ_base=OWNER)
    assert owner.status_code == 302
    assert other_client.get("/", environ_base=OWNER).status_code == 200

    assert sign_in(panda_client, "ann@example.org", WRONG, environ_base=ATTACKER).status_code == 429
    assert sign_in(panda_client, "ann@example.org", environ_base=ATTACKER).status_code == 429


def test_the_owner_elsewhere_still_has_the_whole_limit_for_their_own_typing_errors(
    panda_client, other_client, make_account, sign_in, limits
):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    make_account(email="ann@example.org")
    for _ in range(3):
        sign_in(panda_client, "ann@example.org", WRONG, environ_base=ATTACKER)
    for _ in range(2):
        assert sign_in(other_client, "ann@example.org", WRONG, environ_base=OWNER).status_code == 200
    assert sign_in(other_client, "ann@example.org", environ_base=OWNER).status_code == 302


def test_the_per_address_limit_still_stops_one_address_whatever_the_accounts(
    panda_client, other_client, make_account, sign_in, limits
):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="10 per 15 minutes", SIGN_IN_LIMIT_PER_ADDRESS="4 per 15 minutes")
    make_account(email="ann@example.org")
    make_account(email="bob@example.org")
    for address in ("ann@example.org", "ann@example.org", "bob@example.org", "nobody@example.org"):
        assert sign_in(panda_client, address, WRONG, environ_base=ATTACKER).status_code == 200
    for address in ("ann@example.org", "bob@example.org", "carol@example.org"):
        assert sign_in(panda_client, address, environ_base=ATTACKER).status_code == 429
    assert sign_in(other_client, "bob@example.org", environ_base=OWNER).status_code == 302


def test_the_addresses_of_one_ipv6_network_count_as_one_client(
    panda_client, other_client, make_account, sign_in, limits
):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    make_account(email="ann@example.org")
    for n in range(3):
        attacker = {"REMOTE_ADDR": f"2001:db8:a:b::{n + 1}"}
        assert sign_in(panda_client, "ann@example.org", WRONG, environ_base=attacker).status_code == 200
    same_network = {"REMOTE_ADDR": "2001:db8:a:b:ffff:ffff:ffff:ffff"}
    assert sign_in(panda_client, "ann@example.org", WRONG, environ_base=same_network).status_code == 429
    other_network = {"REMOTE_ADDR": "2001:db8:a:c::1"}
    assert sign_in(other_client, "ann@example.org", environ_base=other_network).status_code == 302


def test_from_elsewhere_an_unknown_address_and_a_known_one_are_answered_alike(
    panda_client, other_client, make_account, sign_in, limits
):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    make_account(email="ann@example.org")
    answers = {}
    for address in ("ann@example.org", "bob@example.org"):
        for _ in range(2):
            sign_in(panda_client, address, WRONG, environ_base=ATTACKER)
        throttled = sign_in(panda_client, address, WRONG, environ_base=ATTACKER)
        elsewhere = sign_in(other_client, address, WRONG, environ_base=OWNER)
        answers[address] = (throttled.status_code, elsewhere.status_code, same_page(_text(elsewhere)))
    known, unknown = answers["ann@example.org"], answers["bob@example.org"]
    assert known[:2] == unknown[:2] == (429, 200)
    assert known[2].replace("ann@", "X@") == unknown[2].replace("bob@", "X@")


def test_forms_that_send_mail_are_throttled_per_client_address(panda_client, limits):
    limits(EMAIL_LIMIT_PER_ADDRESS="2 per hour")
    here = {"REMOTE_ADDR": "192.0.2.10"}
    assert (
        panda_client.post_form(
            "/forgot-password", {"email": "a@example.org"}, page="/forgot-password", environ_base=here
        ).status_code
        == 200
    )
    assert (
        panda_client.post_form(
            "/resend-verification", {"email": "a@example.org"}, page="/resend-verification", environ_base=here
        ).status_code
        == 200
    )
    throttled = panda_client.post_form(
        "/register",
        {"email": "a@example.org", "name": "A", "password": PASSWORD, "language": "en"},
        page="/register",
        environ_base=here,
    )
    assert throttled.status_code == 429
    assert "Too many attempts" in _text(throttled)
    assert (
        panda_client.post_form(
            "/forgot-password",
            {"email": "a@example.org"},
            page="/forgot-password",
            environ_base={"REMOTE_ADDR": "192.0.2.20"},
        ).status_code
        == 200
    )


def test_viewing_the_forms_is_never_throttled(panda_client, limits):
    limits(EMAIL_LIMIT_PER_ADDRESS="1 per hour", SIGN_IN_LIMIT_PER_ADDRESS="1 per hour")
    for _ in range(3):
        assert panda_client.get("/sign-in").status_code == 200
        assert panda_client.get("/forgot-password").status_code == 200


def test_wrong_current_passwords_are_throttled_too(panda_client, make_account, sign_in, limits):
    limits(SIGN_IN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    make_account(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    data = {"current_password": WRONG, "new_password": "a brand new long password"}
    for _ in range(2):
        assert panda_client.post_form("/account/password", data, page="/account/password").status_code == 400
    assert panda_client.post_form("/account/password", data, page="/account/password").status_code == 429
