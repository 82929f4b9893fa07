from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from panda_portal.accounts import services, signals
from panda_portal.accounts.models import Account, AccountToken, WebSession
from shared.database import utcnow
from tests.portal.accounts.conftest import NEW_PASSWORD, PASSWORD


@pytest.fixture(autouse=True)
def in_request(panda):
    """Services speak to people: their messages need a request's language."""
    with panda.test_request_context("/"):
        yield


def _link_token(mail, prefix: str) -> str:
    return mail.link_path(prefix).rsplit("/", 1)[-1]


def _tokens(db, account, purpose):
    return db.session.execute(
        select(AccountToken).where(AccountToken.account_id == account.id, AccountToken.purpose == purpose)
    ).scalars().all()


# -- registration ------------------------------------------------------------------------
def test_registering_creates_an_unconfirmed_account_and_mails_a_link(panda_db, deliver):
    services.register(" Ann@Example.ORG ", "Ann Peeters", PASSWORD, "nl")
    account = services.find_account("ann@example.org")
    assert account.email == "ann@example.org"
    assert account.language == "nl"
    assert not account.is_verified and not account.is_active
    assert account.password_hash.startswith("$argon2id$")
    mail = deliver("ann@example.org")
    assert "/verify/" in mail.link_path("/verify/")


def test_the_mailed_link_is_stored_only_as_a_hash(panda_db, deliver):
    services.register("ann@example.org", "Ann", PASSWORD, "en")
    token = _link_token(deliver("ann@example.org"), "/verify/")
    stored = panda_db.session.execute(select(AccountToken)).scalar_one()
    assert token not in (stored.token_hash, str(stored.id))
    assert len(stored.token_hash) == 64


def test_registering_a_taken_address_mails_its_owner_and_changes_nothing(panda_db, make_account, deliver):
    owner = make_account(email="ann@example.org", name="Ann")
    original_hash = owner.password_hash
    services.register("ANN@example.org", "Mallory", "another long password here", "fr")
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
    with pytest.raises(services.WeakPasswordError):
        services.register("ann@example.org", "Ann", "short", "en")
    assert services.find_account("ann@example.org") is None


def test_an_unknown_language_falls_back_to_english():
    services.register("ann@example.org", "Ann", PASSWORD, "de")
    assert services.find_account("ann@example.org").language == "en"


# -- links -------------------------------------------------------------------------------
def test_a_confirmation_link_confirms_the_address_once(panda_db, deliver):
    services.register("ann@example.org", "Ann", PASSWORD, "en", next_path="/authorize?client_id=x")
    token = _link_token(deliver("ann@example.org"), "/verify/")
    used = services.verify_email(token)
    assert used.account.is_verified
    assert used.next_path == "/authorize?client_id=x"
    with pytest.raises(services.InvalidLinkError) as reused:
        services.verify_email(token)
    assert reused.value.reason == "used"


def test_an_expired_link_is_refused(panda_db, deliver):
    services.register("ann@example.org", "Ann", PASSWORD, "en")
    token = _link_token(deliver("ann@example.org"), "/verify/")
    row = panda_db.session.execute(select(AccountToken)).scalar_one()
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    panda_db.session.flush()
    with pytest.raises(services.InvalidLinkError) as expired:
        services.verify_email(token)
    assert expired.value.reason == "expired"
    assert not services.find_account("ann@example.org").is_verified


def test_confirmation_links_last_the_configured_hours(panda, panda_db):
    services.register("ann@example.org", "Ann", PASSWORD, "en")
    row = panda_db.session.execute(select(AccountToken)).scalar_one()
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - dt.timedelta(hours=panda.config["VERIFICATION_LINK_HOURS"])) < dt.timedelta(minutes=1)


def test_an_unknown_or_tampered_link_is_refused():
    for token in ("", "x" * 500, "not-a-token", "../../etc"):
        with pytest.raises(services.InvalidLinkError) as unknown:
            services.verify_email(token)
        assert unknown.value.reason == "unknown"


def test_a_reset_link_cannot_confirm_an_address(make_account, deliver):
    make_account(email="ann@example.org")
    services.request_password_reset("ann@example.org")
    token = _link_token(deliver("ann@example.org"), "/reset-password/")
    with pytest.raises(services.InvalidLinkError):
        services.verify_email(token)


def test_a_link_of_another_kind_offers_the_right_new_one():
    error = services.InvalidLinkError("expired", AccountToken.RESET)
    assert error.purpose == "reset" and "expired" in error.message


def test_using_one_confirmation_link_retires_the_older_ones(panda_db, deliver, mail_sink):
    services.register("ann@example.org", "Ann", PASSWORD, "en")
    services.resend_verification("ann@example.org")
    deliver()
    first, second = [_link_token(m, "/verify/") for m in mail_sink.to("ann@example.org")]
    services.verify_email(second)
    with pytest.raises(services.InvalidLinkError):
        services.verify_email(first)


# -- signing in --------------------------------------------------------------------------
def test_authenticate_returns_the_account_for_the_right_password(make_account):
    account = make_account(email="ann@example.org")
    assert services.authenticate("ANN@example.org", PASSWORD) is account
    assert services.authenticate("ann@example.org", "wrong password here!!") is None
    assert services.authenticate("nobody@example.org", PASSWORD) is None


def test_authenticate_hashes_a_dummy_password_for_unknown_addresses(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "burn_verification_time", lambda password: calls.append(password))
    assert services.authenticate("nobody@example.org", "some password or other") is None
    assert calls == ["some password or other"]


def test_an_unconfirmed_account_is_named_only_after_the_right_password(make_account):
    make_account(email="ann@example.org", verified=False)
    assert services.authenticate("ann@example.org", "wrong password here!!") is None
    with pytest.raises(services.UnverifiedAccountError):
        services.authenticate("ann@example.org", PASSWORD)


def test_a_disabled_account_cannot_sign_in(make_account):
    account = make_account(email="ann@example.org")
    services.disable_account(account, actor=None)
    assert services.authenticate("ann@example.org", "wrong password here!!") is None
    with pytest.raises(services.DisabledAccountError):
        services.authenticate("ann@example.org", PASSWORD)


def test_signing_in_upgrades_a_hash_made_with_older_parameters(make_account, panda_db):
    from argon2 import PasswordHasher

    account = make_account(email="ann@example.org")
    account.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    panda_db.session.flush()
    services.authenticate("ann@example.org", PASSWORD)
    assert account.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


# -- password reset ----------------------------------------------------------------------
def test_a_reset_link_sets_a_new_password_and_ends_every_session(panda_db, make_account, deliver):
    account = make_account(email="ann@example.org")
    for n in range(2):
        panda_db.session.add(WebSession(id=f"s{n}", subject=str(account.id), sid=f"sid{n}", data={},
                                        expires_at=utcnow() + dt.timedelta(hours=1)))
    panda_db.session.flush()
    changed = []

    def receiver(_app, **kwargs):
        changed.append(kwargs["account"])

    signals.password_changed.connect(receiver)
    try:
        services.request_password_reset("ann@example.org")
        token = _link_token(deliver("ann@example.org"), "/reset-password/")
        services.reset_password(token, NEW_PASSWORD)
    finally:
        signals.password_changed.disconnect(receiver)
    assert changed == [account]
    assert services.authenticate("ann@example.org", NEW_PASSWORD) is account
    assert panda_db.session.execute(select(WebSession)).scalars().all() == []
    with pytest.raises(services.InvalidLinkError):
        services.reset_password(token, "yet another long password")


def test_a_weak_new_password_keeps_the_reset_link_usable(make_account, deliver):
    make_account(email="ann@example.org")
    services.request_password_reset("ann@example.org")
    token = _link_token(deliver("ann@example.org"), "/reset-password/")
    with pytest.raises(services.WeakPasswordError):
        services.reset_password(token, "short")
    services.reset_password(token, NEW_PASSWORD)


def test_resetting_the_password_confirms_an_unconfirmed_address(make_account, deliver):
    account = make_account(email="ann@example.org", verified=False)
    services.request_password_reset("ann@example.org")
    services.reset_password(_link_token(deliver("ann@example.org"), "/reset-password/"), NEW_PASSWORD)
    assert account.is_verified


def test_reset_links_last_the_configured_minutes(panda, panda_db, make_account):
    make_account(email="ann@example.org")
    services.request_password_reset("ann@example.org")
    row = panda_db.session.execute(select(AccountToken)).scalar_one()
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - dt.timedelta(minutes=panda.config["PASSWORD_RESET_LINK_MINUTES"])) < dt.timedelta(minutes=1)


def test_a_reset_for_an_unknown_address_mails_that_no_account_uses_it(deliver):
    services.request_password_reset("nobody@example.org", locale="fr")
    mail = deliver("nobody@example.org")
    assert "/reset-password/" not in mail.text
    assert "/register" in mail.text


# -- changing the password and the profile -----------------------------------------------
def test_changing_the_password_needs_the_current_one(make_account):
    account = make_account(email="ann@example.org")
    with pytest.raises(services.WrongPasswordError):
        services.change_password(account, "not my password at all", NEW_PASSWORD, actor=account)
    services.change_password(account, PASSWORD, NEW_PASSWORD, actor=account)
    assert services.authenticate("ann@example.org", NEW_PASSWORD) is account


def test_changing_the_password_retires_outstanding_reset_links(make_account, deliver):
    account = make_account(email="ann@example.org")
    services.request_password_reset("ann@example.org")
    token = _link_token(deliver("ann@example.org"), "/reset-password/")
    services.change_password(account, PASSWORD, NEW_PASSWORD, actor=account)
    with pytest.raises(services.InvalidLinkError):
        services.reset_password(token, "an attacker's long password")


def test_changing_the_password_applies_the_password_rules(make_account):
    account = make_account(email="ann@example.org", name="Ann")
    with pytest.raises(services.WeakPasswordError):
        services.change_password(account, PASSWORD, "ann@example.org", actor=account)


def test_the_profile_changes_name_and_language_and_records_it(make_account):
    account = make_account(email="ann@example.org", name="Ann")
    seen = []

    def receiver(_app, **kwargs):
        seen.append((kwargs["action"], kwargs["details"]))

    signals.account_changed.connect(receiver)
    try:
        services.update_profile(account, " Ann Peeters ", "fr", actor=account)
        services.update_profile(account, "Ann Peeters", "fr", actor=account)
    finally:
        signals.account_changed.disconnect(receiver)
    assert (account.name, account.language) == ("Ann Peeters", "fr")
    assert seen == [("profile_updated", {"name": "Ann Peeters", "language": "fr"})]


# -- operators ---------------------------------------------------------------------------
def test_create_account_refuses_a_duplicate_in_any_case(make_account):
    make_account(email="ann@example.org")
    with pytest.raises(services.EmailTakenError):
        services.create_account("Ann@Example.org", "Ann", PASSWORD, verified=True)


def test_disabling_an_account_ends_its_sessions_and_tells_listeners(panda_db, make_account):
    account = make_account(email="ann@example.org")
    panda_db.session.add(WebSession(id="s1", subject=str(account.id), sid="sid1", data={},
                                    expires_at=utcnow() + dt.timedelta(hours=1)))
    panda_db.session.flush()
    disabled = []

    def receiver(_app, **kwargs):
        # Sent before the sessions end, so a listener can still find them.
        disabled.append(panda_db.session.execute(select(WebSession.sid)).scalars().all())

    signals.account_disabled.connect(receiver)
    try:
        services.disable_account(account, actor=None)
    finally:
        signals.account_disabled.disconnect(receiver)
    assert disabled == [["sid1"]]
    assert not account.is_active
    assert panda_db.session.execute(select(WebSession)).scalars().all() == []
    services.enable_account(account, actor=None)
    assert account.is_active
