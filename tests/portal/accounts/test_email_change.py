"""Changing the e-mail address: confirmed from the new address, announced to the old one, undoable for 7 days."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select, update

from panda_portal.accounts.models import EmailChange, WebSession
from shared.database import utcnow
from tests.portal.accounts.clients import register_rp
from tests.portal.factories import PASSWORD, sign_in_client
from tests.portal.mfa.helpers import turn_on
from tests.portal.oidc.conftest import _reuse_generated_keys, _rsa_key_pool  # noqa: F401  (autouse: quick RSA keys)

NEW = "ann.peeters@newmail.example"


@pytest.fixture()
def rp_factory(panda_db):
    """``rp_factory(backchannel_logout_uri=…)``: a confidential client application."""
    return lambda **kwargs: register_rp(panda_db, **kwargs)


@pytest.fixture()
def ann(make_account):
    return make_account(email="ann@example.org", name="Ann", language="en")


@pytest.fixture()
def browser(panda, panda_db, ann):
    client = panda.test_client()
    client.csrf_page = "/account/email"
    panda_db.session.commit()
    sign_in_client(client, ann)
    return client


def ask(browser, email: str = NEW, password: str = PASSWORD):
    return browser.post_form("/account/email", {"email": email, "password": password})


def confirm(client, path: str):
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post_form(path, {}, page=path)


def sessions_of(panda_db, account) -> int:
    panda_db.session.expire_all()
    return panda_db.session.scalar(
        select(func.count()).select_from(WebSession).where(WebSession.subject == str(account.id))
    )


def test_the_new_address_confirms_the_change_and_the_old_one_is_told_with_a_way_back(
    panda, panda_db, ann, browser, deliver, mail_sink
):
    response = ask(browser)
    assert response.status_code == 200 and "Check your new mailbox" in response.get_data(as_text=True)
    mail = deliver(NEW)
    panda_db.session.refresh(ann)
    assert ann.email == "ann@example.org"  # nothing changes before the new address answers
    assert "Confirm your new e-mail address" in mail.subject

    assert confirm(browser, mail.link_path("/account/email/confirm/")).status_code == 302

    panda_db.session.refresh(ann)
    assert ann.email == NEW
    notice = deliver("ann@example.org")
    assert "was changed" in notice.subject and NEW in notice.text
    assert "/account/email/undo/" in notice.text
    # The confirmation link works once.
    assert browser.get(mail.link_path("/account/email/confirm/")).status_code == 410


def test_a_wrong_password_changes_nothing_and_sends_nothing(panda, panda_db, ann, browser, deliver, mail_sink):
    response = ask(browser, password="not my password at all")
    assert response.status_code == 400
    assert "Your password is not correct." in response.get_data(as_text=True)
    deliver()
    assert mail_sink.to(NEW) == []


def test_an_address_that_is_taken_gets_the_same_answer_and_its_owner_a_notice(
    panda, panda_db, ann, browser, make_account, deliver, mail_sink
):
    bob = make_account(email="bob@example.org")
    taken = ask(browser, email="Bob@Example.org").get_data(as_text=True)
    free = ask(browser, email="free@example.org").get_data(as_text=True)

    def shown(page: str, address: str) -> str:
        return re.sub(r'name="csrf_token" value="[^"]*"', "", page).replace(address, "X")

    assert shown(taken, "bob@example.org") == shown(free, "free@example.org")
    deliver()
    notice = mail_sink.last_to("bob@example.org")
    assert "another Panda account" in notice.subject
    assert "/account/email/confirm/" not in notice.text
    panda_db.session.refresh(bob)
    panda_db.session.refresh(ann)
    assert (bob.email, ann.email) == ("bob@example.org", "ann@example.org")


def test_an_expired_confirmation_link_is_refused(panda, panda_db, ann, browser, deliver):
    ask(browser)
    path = deliver(NEW).link_path("/account/email/confirm/")
    panda_db.session.execute(update(EmailChange).values(confirm_expires_at=utcnow() - dt.timedelta(seconds=1)))
    panda_db.session.commit()
    assert browser.get(path).status_code == 410
    panda_db.session.refresh(ann)
    assert ann.email == "ann@example.org"


def test_a_newer_request_voids_the_older_link(panda, panda_db, ann, browser, deliver):
    ask(browser, email="first@example.org")
    first = deliver("first@example.org").link_path("/account/email/confirm/")
    ask(browser, email="second@example.org")
    assert browser.get(first).status_code == 404


def test_undo_restores_the_old_address_signs_out_everywhere_and_sends_a_reset_link(
    panda, panda_db, ann, browser, deliver, mail_sink, rp_factory
):
    from panda_portal.outbox.models import OutboxMessage

    listener = rp_factory(backchannel_logout_uri="https://rp.example.test/backchannel")
    other = panda.test_client()
    sign_in_client(other, ann)
    ask(browser)
    confirm(browser, deliver(NEW).link_path("/account/email/confirm/"))
    undo_path = deliver("ann@example.org").link_path("/account/email/undo/")
    assert sessions_of(panda_db, ann) == 2

    stranger = panda.test_client()  # the old mailbox's owner, on another device
    response = confirm(stranger, undo_path)

    assert response.status_code == 200 and "ann@example.org" in response.get_data(as_text=True)
    panda_db.session.refresh(ann)
    assert ann.email == "ann@example.org"
    assert sessions_of(panda_db, ann) == 0
    assert browser.get("/account").status_code in (302, 401)
    logouts = list(
        panda_db.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "backchannel_logout")
        ).scalars()
    )
    assert {"client_id": listener.client_id, "sub": str(ann.id), "sid": None} in [
        {**payload, "sid": payload.get("sid")} for payload in logouts
    ]
    reset = deliver("ann@example.org")
    assert "/reset-password/" in reset.text
    # The undo link works once.
    assert stranger.get(undo_path).status_code == 410


def test_the_undo_link_lasts_seven_days(panda, panda_db, ann, browser, deliver):
    ask(browser)
    confirm(browser, deliver(NEW).link_path("/account/email/confirm/"))
    undo_path = deliver("ann@example.org").link_path("/account/email/undo/")
    row = panda_db.session.execute(select(EmailChange)).scalar_one()
    assert dt.timedelta(days=6, hours=23) < row.undo_expires_at - row.confirmed_at < dt.timedelta(days=7, minutes=1)
    panda_db.session.execute(update(EmailChange).values(undo_expires_at=utcnow() - dt.timedelta(seconds=1)))
    panda_db.session.commit()
    assert panda.test_client().get(undo_path).status_code == 410
    panda_db.session.refresh(ann)
    assert ann.email == NEW


def test_with_two_step_verification_a_recent_second_factor_is_asked_instead_of_the_password(
    panda, panda_db, ann, browser
):
    with panda.test_request_context("/"):
        turn_on(ann)
    response = browser.get("/account/email")
    assert response.status_code == 302 and "/account/two-step/confirm" in response.headers["Location"]


def test_links_are_only_stored_as_hashes(panda, panda_db, ann, browser, deliver):
    ask(browser)
    path = deliver(NEW).link_path("/account/email/confirm/")
    token = path.rsplit("/", 1)[1]
    row = panda_db.session.execute(select(EmailChange)).scalar_one()
    assert token not in (row.confirm_hash, row.undo_hash)


def test_client_applications_read_the_new_address_from_the_next_token(
    panda, panda_db, ann, browser, deliver, rp_factory
):
    from tests.portal.oidc.helpers import Flow

    ask(browser)
    confirm(browser, deliver(NEW).link_path("/account/email/confirm/"))
    tokens = Flow(browser, rp_factory()).tokens()
    userinfo = browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).get_json()
    assert userinfo["email"] == NEW
