"""Registering an account (``accounts.services.registration``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panda_portal.accounts.models import Account, AccountToken
from panda_portal.accounts.services.errors import WeakPasswordError
from panda_portal.accounts.services.lookup import find_account
from panda_portal.accounts.services.registration import register
from tests.portal.accounts.helpers import link_token
from tests.portal.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("in_request")  # services speak to people, in a request's language


def test_registering_creates_an_unconfirmed_account_and_mails_a_link(panda_db, deliver):
    register(" Ann@Example.ORG ", "Ann Peeters", PASSWORD, "nl")
    account = find_account("ann@example.org")
    assert account.email == "ann@example.org"
    assert account.language == "nl"
    assert not account.is_verified and not account.is_active
    assert account.password_hash.startswith("$argon2id$")
    mail = deliver("ann@example.org")
    assert "/verify/" in mail.link_path("/verify/")


def test_the_mailed_link_is_stored_only_as_a_hash(panda_db, deliver):
    register("ann@example.org", "Ann", PASSWORD, "en")
    token = link_token(deliver("ann@example.org"), "/verify/")
    stored = panda_db.session.execute(select(AccountToken)).scalar_one()
    assert token not in (stored.token_hash, str(stored.id))
    assert len(stored.token_hash) == 64


def test_registering_a_taken_address_mails_its_owner_and_changes_nothing(panda_db, make_account, deliver):
    owner = make_account(email="ann@example.org", name="Ann")
    original_hash = owner.password_hash
    register("ANN@example.org", "Mallory", "another long password here", "fr")
    accounts = panda_db.session.execute(select(Account)).scalars().all()
    assert [a.name for a in accounts] == ["Ann"]
    assert owner.password_hash == original_hash
    mail = deliver("ann@example.org")
    assert "tried to create" in mail.subject
    assert "/verify/" not in mail.text


def test_two_accounts_cannot_share_an_address_in_the_database(panda_db, make_account):
    from sqlalchemy.exc import IntegrityError

    make_account(email="ann@example.org")
    panda_db.session.add(Account(email="ann@example.org", name="Copy", language="en"))
    with pytest.raises(IntegrityError):
        panda_db.session.flush()
    panda_db.session.rollback()


def test_registering_refuses_a_weak_password():
    with pytest.raises(WeakPasswordError):
        register("ann@example.org", "Ann", "short", "en")
    assert find_account("ann@example.org") is None


def test_an_unknown_language_falls_back_to_english():
    register("ann@example.org", "Ann", PASSWORD, "de")
    assert find_account("ann@example.org").language == "en"
