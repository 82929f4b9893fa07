"""Passwords: how they are stored and which ones may be chosen (``accounts.passwords``), reset and
changed (``accounts.services.passwords``)."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from panda_portal.accounts import passwords, signals
from panda_portal.accounts.models import AccountToken, WebSession
from panda_portal.accounts.passwords import (
    common_passwords,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from panda_portal.accounts.services.errors import InvalidLinkError, WeakPasswordError, WrongPasswordError
from panda_portal.accounts.services.passwords import change_password, request_password_reset, reset_password
from panda_portal.accounts.services.sign_in import authenticate
from shared.database import utcnow
from tests.portal.accounts.helpers import link_token
from tests.portal.factories import NEW_PASSWORD, PASSWORD

pytestmark = pytest.mark.usefixtures("in_request")  # services speak to people, in a request's language


# -- the rules and the hashes ----------------------------------------------------------------


def test_hashes_are_argon2id_with_at_least_the_owasp_parameters():
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapler")


def test_a_missing_or_broken_hash_never_matches():
    assert not verify_password(None, "anything at all here")
    assert not verify_password("not-a-hash", "anything at all here")


def test_hashes_made_with_other_parameters_need_a_rehash():
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery staple")
    assert needs_rehash(weaker)
    assert not needs_rehash(hash_password("correct horse battery staple"))


def test_the_same_password_in_another_unicode_form_matches():
    composed = "café au lait avec des croissants"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert verify_password(hash_password(composed), decomposed)


def test_the_shipped_list_holds_ten_thousand_common_passwords():
    common = common_passwords()
    assert len(common) == 10_000
    assert {"password", "123456", "qwerty", "letmein"} <= common
    assert passwords.COMMON_PASSWORDS_FILE.read_text().startswith("#")


def test_a_password_shorter_than_the_minimum_is_refused(in_request):
    assert "at least 15 characters" in password_problem("fourteen chars")
    assert password_problem("fifteen chars!!") is None


def test_length_counts_unicode_code_points_after_normalisation(in_request):
    # Fifteen characters, some of them outside ASCII: enough, whatever their byte length.
    assert password_problem("ĳsberg-ŝaŭmo-日本") is None
    # "ﬃ" (one code point) becomes "ffi" (three) under NFKC.
    assert password_problem("ﬃ" * 5) is None
    assert password_problem("é" * 14) is not None


def test_long_passwords_are_accepted_up_to_the_maximum(in_request):
    assert password_problem("a long passphrase " * 4) is None  # 72 characters
    assert password_problem("x" * 63 + "y" * 65) is None  # 128
    assert "at most 128" in password_problem("x" * 129)


def test_common_passwords_are_refused_whatever_their_case(panda, in_request, monkeypatch):
    monkeypatch.setitem(panda.config, "PASSWORD_MIN_LENGTH", 8)
    assert "most commonly used" in password_problem("password1")
    assert "most commonly used" in password_problem("PassWord1")
    assert password_problem("unusual7z") is None


def test_a_common_password_long_enough_for_the_minimum_is_still_refused(in_request):
    assert "most commonly used" in password_problem("1qaz2wsx3edc4rfv")


def test_no_composition_rules_apply(in_request):
    assert password_problem("all lower case words only") is None


def test_the_email_or_the_name_cannot_be_the_password(in_request):
    assert "e-mail address or your name" in password_problem(
        "Annemarie.Peeters@example.org", email="annemarie.peeters@example.org", name="Ann"
    )
    assert "e-mail address or your name" in password_problem(
        "annemarie van den broeck", email="ann@example.org", name="Annemarie Van den Broeck"
    )


# -- password reset --------------------------------------------------------------------------
def test_a_reset_link_sets_a_new_password_and_ends_every_session(panda_db, make_account, deliver):
    account = make_account(email="ann@example.org")
    for n in range(2):
        panda_db.session.add(
            WebSession(
                id=f"s{n}", subject=str(account.id), sid=f"sid{n}", data={}, expires_at=utcnow() + dt.timedelta(hours=1)
            )
        )
    panda_db.session.flush()
    changed = []

    def receiver(_app, **kwargs):
        changed.append(kwargs["account"])

    signals.password_changed.connect(receiver)
    try:
        request_password_reset("ann@example.org")
        token = link_token(deliver("ann@example.org"), "/reset-password/")
        reset_password(token, NEW_PASSWORD)
    finally:
        signals.password_changed.disconnect(receiver)
    assert changed == [account]
    assert authenticate("ann@example.org", NEW_PASSWORD) is account
    assert panda_db.session.execute(select(WebSession)).scalars().all() == []
    with pytest.raises(InvalidLinkError):
        reset_password(token, "yet another long password")


def test_a_weak_new_password_keeps_the_reset_link_usable(make_account, deliver):
    make_account(email="ann@example.org")
    request_password_reset("ann@example.org")
    token = link_token(deliver("ann@example.org"), "/reset-password/")
    with pytest.raises(WeakPasswordError):
        reset_password(token, "short")
    reset_password(token, NEW_PASSWORD)


def test_resetting_the_password_confirms_an_unconfirmed_address(make_account, deliver):
    account = make_account(email="ann@example.org", verified=False)
    request_password_reset("ann@example.org")
    reset_password(link_token(deliver("ann@example.org"), "/reset-password/"), NEW_PASSWORD)
    assert account.is_verified


def test_reset_links_last_the_configured_minutes(panda, panda_db, make_account):
    make_account(email="ann@example.org")
    request_password_reset("ann@example.org")
    row = panda_db.session.execute(select(AccountToken)).scalar_one()
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - dt.timedelta(minutes=panda.config["PASSWORD_RESET_LINK_MINUTES"])) < dt.timedelta(minutes=1)


def test_a_reset_for_an_unknown_address_mails_that_no_account_uses_it(deliver):
    request_password_reset("nobody@example.org", locale="fr")
    mail = deliver("nobody@example.org")
    assert "/reset-password/" not in mail.text
    assert "/register" in mail.text


# -- changing the password -------------------------------------------------------------------
def test_changing_the_password_needs_the_current_one(make_account):
    account = make_account(email="ann@example.org")
    with pytest.raises(WrongPasswordError):
        change_password(account, "not my password at all", NEW_PASSWORD, actor=account)
    change_password(account, PASSWORD, NEW_PASSWORD, actor=account)
    assert authenticate("ann@example.org", NEW_PASSWORD) is account


def test_changing_the_password_retires_outstanding_reset_links(make_account, deliver):
    account = make_account(email="ann@example.org")
    request_password_reset("ann@example.org")
    token = link_token(deliver("ann@example.org"), "/reset-password/")
    change_password(account, PASSWORD, NEW_PASSWORD, actor=account)
    with pytest.raises(InvalidLinkError):
        reset_password(token, "an attacker's long password")


def test_changing_the_password_applies_the_password_rules(make_account):
    account = make_account(email="ann@example.org", name="Ann")
    with pytest.raises(WeakPasswordError):
        change_password(account, PASSWORD, "ann@example.org", actor=account)
