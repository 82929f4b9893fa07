"""Codes from an authenticator app (``mfa.services.totp``)."""

from __future__ import annotations

import time

import pyotp
import pytest

from panda_portal.mfa.services import totp, two_step
from panda_portal.mfa.services.totp import STEP_SECONDS
from tests.portal.mfa.helpers import code

pytestmark = pytest.mark.usefixtures("in_request")


def test_a_code_from_the_app_is_accepted_for_its_own_step_and_the_ones_beside_it():
    secret = totp.new_secret()
    now = time.time()
    current = int(now // STEP_SECONDS)
    for offset in (-1, 0, 1):
        shown = pyotp.TOTP(secret).at(now + offset * STEP_SECONDS)
        assert totp.matching_step(secret, shown, at=now) == current + offset


def test_a_code_two_steps_old_is_refused():
    secret = totp.new_secret()
    now = time.time()
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(now - 2 * STEP_SECONDS), at=now) is None
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(now + 2 * STEP_SECONDS), at=now) is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "１２３４５６", "12 34 5x", None, "9" * 5000])
def test_something_that_is_not_a_code_is_refused_without_an_error(typed):
    assert totp.matching_step(totp.new_secret(), typed) is None


def test_a_code_typed_with_a_space_as_the_app_shows_it_is_accepted():
    secret = totp.new_secret()
    shown = code(secret)
    assert totp.matching_step(secret, f"{shown[:3]} {shown[3:]}") is not None


def test_a_replayed_code_is_refused(two_step_person):
    person = two_step_person()
    authenticator = two_step.authenticator_of(person.account)
    current = code(person.secret)
    assert totp.use_code(authenticator, current) is True
    assert totp.use_code(authenticator, current) is False


def test_a_code_older_than_the_last_one_used_is_refused(two_step_person):
    person = two_step_person()
    authenticator = two_step.authenticator_of(person.account)
    assert totp.use_code(authenticator, code(person.secret, steps_from_now=1)) is True
    assert totp.use_code(authenticator, code(person.secret)) is False


def test_the_code_that_turned_two_step_verification_on_cannot_sign_in(two_step_person):
    person = two_step_person()  # turned on with the code of the previous step
    authenticator = two_step.authenticator_of(person.account)
    assert totp.use_code(authenticator, code(person.secret, steps_from_now=-1)) is False


def test_the_qr_code_is_an_svg_image_the_content_security_policy_allows(make_account):
    account = make_account(email="ann@example.org")
    uri = totp.provisioning_uri(totp.new_secret(), account, issuer="Panda")
    assert uri.startswith("otpauth://totp/Panda:ann%40example.org?secret=")
    assert totp.qr_code_data_uri(uri).startswith("data:image/svg+xml;")
