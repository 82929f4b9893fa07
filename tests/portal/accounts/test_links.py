"""Single-use links sent by mail: confirming an address (``accounts.services.links``, ``registration``)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from panda_portal.accounts.models import AccountToken
from panda_portal.accounts.services.errors import InvalidLinkError
from panda_portal.accounts.services.lookup import find_account
from panda_portal.accounts.services.passwords import request_password_reset
from panda_portal.accounts.services.registration import register, resend_verification, verify_email
from shared.database import utcnow
from tests.portal.accounts.helpers import link_token
from tests.portal.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("in_request")  # services speak to people, in a request's language


def test_a_confirmation_link_confirms_the_address_once(panda_db, deliver):
    register("ann@example.org", "Ann", PASSWORD, "en", next_path="/authorize?client_id=x")
    token = link_token(deliver("ann@example.org"), "/verify/")
    used = verify_email(token)
    assert used.account.is_verified
    assert used.next_path == "/authorize?client_id=x"
    with pytest.raises(InvalidLinkError) as reused:
        verify_email(token)
    assert reused.value.reason == "used"


def test_an_expired_link_is_refused(panda_db, deliver):
    register("ann@example.org", "Ann", PASSWORD, "en")
    token = link_token(deliver("ann@example.org"), "/verify/")
    row = panda_db.session.execute(select(AccountToken)).scalar_one()
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    panda_db.session.flush()
    with pytest.raises(InvalidLinkError) as expired:
        verify_email(token)
    assert expired.value.reason == "expired"
    assert not find_account("ann@example.org").is_verified


def test_confirmation_links_last_the_configured_hours(panda, panda_db):
    register("ann@example.org", "Ann", PASSWORD, "en")
    row = panda_db.session.execute(select(AccountToken)).scalar_one()
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - dt.timedelta(hours=panda.config["VERIFICATION_LINK_HOURS"])) < dt.timedelta(minutes=1)


def test_an_unknown_or_tampered_link_is_refused():
    for token in ("", "x" * 500, "not-a-token", "../../etc"):
        with pytest.raises(InvalidLinkError) as unknown:
            verify_email(token)
        assert unknown.value.reason == "unknown"


def test_a_reset_link_cannot_confirm_an_address(make_account, deliver):
    make_account(email="ann@example.org")
    request_password_reset("ann@example.org")
    token = link_token(deliver("ann@example.org"), "/reset-password/")
    with pytest.raises(InvalidLinkError):
        verify_email(token)


def test_a_link_of_another_kind_offers_the_right_new_one():
    error = InvalidLinkError("expired", AccountToken.RESET)
    assert error.purpose == "reset" and "expired" in error.message


def test_using_one_confirmation_link_retires_the_older_ones(panda_db, deliver, mail_sink):
    register("ann@example.org", "Ann", PASSWORD, "en")
    resend_verification("ann@example.org")
    deliver()
    first, second = [link_token(m, "/verify/") for m in mail_sink.to("ann@example.org")]
    verify_email(second)
    with pytest.raises(InvalidLinkError):
        verify_email(first)
