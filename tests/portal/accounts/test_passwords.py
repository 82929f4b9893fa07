from __future__ import annotations

import unicodedata

import pytest
from argon2 import PasswordHasher

from panda_portal.accounts import passwords
from panda_portal.accounts.passwords import (common_passwords, hash_password, needs_rehash, password_problem,
                                             verify_password)


@pytest.fixture()
def in_request(panda):
    with panda.test_request_context("/"):
        yield


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
        "Annemarie.Peeters@example.org", email="annemarie.peeters@example.org", name="Ann")
    assert "e-mail address or your name" in password_problem(
        "annemarie van den broeck", email="ann@example.org", name="Annemarie Van den Broeck")
