"""Accounts managed by an operator (``accounts.services.administration``)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from panda_portal.accounts import signals
from panda_portal.accounts.models import WebSession
from panda_portal.accounts.services.administration import create_account, disable_account, enable_account
from panda_portal.accounts.services.errors import EmailTakenError
from shared.database import utcnow
from tests.portal.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("in_request")  # services speak to people, in a request's language


def test_create_account_refuses_a_duplicate_in_any_case(make_account):
    make_account(email="ann@example.org")
    with pytest.raises(EmailTakenError):
        create_account("Ann@Example.org", "Ann", PASSWORD, verified=True)


def test_disabling_an_account_ends_its_sessions_and_tells_listeners(panda_db, make_account):
    account = make_account(email="ann@example.org")
    panda_db.session.add(
        WebSession(id="s1", subject=str(account.id), sid="sid1", data={}, expires_at=utcnow() + dt.timedelta(hours=1))
    )
    panda_db.session.flush()
    disabled = []

    def receiver(_app, **kwargs):
        # Sent before the sessions end, so a listener can still find them.
        disabled.append(panda_db.session.execute(select(WebSession.sid)).scalars().all())

    signals.account_disabled.connect(receiver)
    try:
        disable_account(account, actor=None)
    finally:
        signals.account_disabled.disconnect(receiver)
    assert disabled == [["sid1"]]
    assert not account.is_active
    assert panda_db.session.execute(select(WebSession)).scalars().all() == []
    enable_account(account, actor=None)
    assert account.is_active
