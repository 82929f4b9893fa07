"""Where a person is signed in: the list, signing one or all other browsers out, the new-browser mail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from panda_portal.accounts.models import WebSession
from tests.portal.accounts.clients import register_rp
from tests.portal.factories import PASSWORD
from tests.portal.oidc.conftest import _reuse_generated_keys, _rsa_key_pool  # noqa: F401  (autouse: quick RSA keys)

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BELGIAN_ADDRESS = "193.190.10.10"  # delegated to Belgium (RIPE NCC)
FRENCH_ADDRESS = "90.0.0.1"  # delegated to France


def browser_of(panda):
    client = panda.test_client()
    client.csrf_page = "/sign-in"
    return client


def sign_in(client, email: str, *, user_agent: str, address: str):
    token = client.csrf_token("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        headers={"User-Agent": user_agent},
        environ_base={"REMOTE_ADDR": address},
    )


def sessions_of(panda_db, account) -> int:
    panda_db.session.expire_all()
    return panda_db.session.scalar(
        select(func.count()).select_from(WebSession).where(WebSession.subject == str(account.id))
    )


def handles(page: str) -> list[str]:
    return re.findall(r'name="session" value="([0-9a-f]+)"', page)


def post(client, url: str, data: dict | None = None):
    return client.post_form(url, data or {}, page="/account/sessions")


@pytest.fixture()
def rp_factory(panda_db):
    """``rp_factory(backchannel_logout_uri=…)``: a confidential client application."""
    return lambda **kwargs: register_rp(panda_db, **kwargs)


@pytest.fixture()
def ann(make_account):
    return make_account(email="ann@example.org", name="Ann", language="nl")


def test_the_page_lists_each_browser_with_device_place_and_last_use_and_marks_this_one(panda, panda_db, ann):
    phone, laptop = browser_of(panda), browser_of(panda)
    assert sign_in(phone, ann.email, user_agent=IPHONE, address=BELGIAN_ADDRESS).status_code == 302
    assert sign_in(laptop, ann.email, user_agent=FIREFOX_LINUX, address=FRENCH_ADDRESS).status_code == 302

    page = laptop.get("/account/sessions").get_data(as_text=True)

    assert "iPhone" in page and "Mobile Safari 17 op iOS 17" in page and "België" in page
    assert "Linux" in page and "Firefox 128" in page and "Frankrijk" in page
    assert page.count("Deze browser") == 1
    # The current browser comes first, and only the other one has a sign-out button.
    assert page.index("Deze browser") < page.index("iPhone")
    assert len(handles(page)) == 1
    assert "Laatst gebruikt" in page


def test_signing_one_browser_out_ends_it_there_and_tells_the_client_applications(panda, panda_db, ann, rp_factory):
    from panda_portal.outbox.models import OutboxMessage

    listener = rp_factory(backchannel_logout_uri="https://rp.example.test/backchannel")
    phone, laptop = browser_of(panda), browser_of(panda)
    sign_in(phone, ann.email, user_agent=IPHONE, address=BELGIAN_ADDRESS)
    sign_in(laptop, ann.email, user_agent=FIREFOX_LINUX, address=BELGIAN_ADDRESS)
    phone_sid = panda_db.session.scalar(
        select(WebSession.sid).where(WebSession.subject == str(ann.id)).order_by(WebSession.created_at)
    )
    [phone_handle] = handles(laptop.get("/account/sessions").get_data(as_text=True))

    response = post(laptop, "/account/sessions/sign-out", {"session": phone_handle})

    assert response.status_code == 302
    assert sessions_of(panda_db, ann) == 1
    assert phone.get("/account").status_code in (302, 401)  # the phone is signed out
    assert laptop.get("/account").status_code == 200  # this browser is not
    logouts = panda_db.session.execute(
        select(OutboxMessage.payload).where(OutboxMessage.kind == "backchannel_logout")
    ).scalars()
    assert {"client_id": listener.client_id, "sub": str(ann.id), "sid": phone_sid} in list(logouts)


def test_sign_out_all_others_keeps_only_this_browser(panda, panda_db, ann):
    browsers = [browser_of(panda) for _ in range(3)]
    for client in browsers:
        sign_in(client, ann.email, user_agent=FIREFOX_LINUX, address=BELGIAN_ADDRESS)
    assert sessions_of(panda_db, ann) == 3

    response = post(browsers[0], "/account/sessions/sign-out-others")

    assert response.status_code == 302
    assert sessions_of(panda_db, ann) == 1
    assert browsers[0].get("/account").status_code == 200
    assert all(client.get("/account").status_code in (302, 401) for client in browsers[1:])


def test_someone_else_cannot_sign_out_a_session_that_is_not_theirs(panda, panda_db, ann, make_account):
    bob = make_account(email="bob@example.org")
    ann_phone, ann_laptop, bob_browser = browser_of(panda), browser_of(panda), browser_of(panda)
    sign_in(ann_phone, ann.email, user_agent=IPHONE, address=BELGIAN_ADDRESS)
    sign_in(ann_laptop, ann.email, user_agent=FIREFOX_LINUX, address=BELGIAN_ADDRESS)
    sign_in(bob_browser, bob.email, user_agent=FIREFOX_LINUX, address=BELGIAN_ADDRESS)
    [ann_phone_handle] = handles(ann_laptop.get("/account/sessions").get_data(as_text=True))

    response = post(bob_browser, "/account/sessions/sign-out", {"session": ann_phone_handle})

    assert response.status_code == 302
    assert sessions_of(panda_db, ann) == 2
    assert ann_phone.get("/account").status_code == 200


def test_signing_out_needs_the_forms_token(panda, panda_db, ann):
    laptop = browser_of(panda)
    sign_in(laptop, ann.email, user_agent=FIREFOX_LINUX, address=BELGIAN_ADDRESS)
    other = browser_of(panda)
    sign_in(other, ann.email, user_agent=IPHONE, address=BELGIAN_ADDRESS)
    assert laptop.post("/account/sessions/sign-out-others").status_code == 400
    assert sessions_of(panda_db, ann) == 2


def test_a_sign_in_from_a_new_browser_is_mailed_but_not_the_first_one_nor_a_known_browser(
    panda, panda_db, ann, deliver, mail_sink
):
    laptop = browser_of(panda)
    sign_in(laptop, ann.email, user_agent=FIREFOX_LINUX, address=BELGIAN_ADDRESS)
    laptop.post_form("/sign-out", {}, page="/account")
    sign_in(laptop, ann.email, user_agent=FIREFOX_LINUX, address=BELGIAN_ADDRESS)  # same browser, same cookie
    deliver()
    assert mail_sink.to(ann.email) == []

    phone = browser_of(panda)
    sign_in(phone, ann.email, user_agent=IPHONE, address=FRENCH_ADDRESS)
    mail = deliver(ann.email)

    assert mail.subject == "Nieuwe aanmelding bij uw Panda-account"
    assert "iPhone" in mail.text and "Frankrijk" in mail.text
    assert "http://panda.test/forgot-password" in mail.text
    assert "http://panda.test/account/sessions" in mail.text
    assert len(mail_sink.to(ann.email)) == 1


def test_the_browser_cookie_is_long_lived_and_not_readable_by_scripts(panda, ann):
    laptop = browser_of(panda)
    response = sign_in(laptop, ann.email, user_agent=FIREFOX_LINUX, address=BELGIAN_ADDRESS)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("panda_browser="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=34560000" in cookie


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", "Local network"),
        ("10.1.2.3", "Local network"),
        ("not an address", "Unknown place"),
        ("", "Unknown place"),
    ],
)
def test_addresses_without_a_country_say_what_they_are(panda, address, expected):
    from panda_portal.accounts.services.sessions import describe_place

    with panda.test_request_context("/"):
        assert describe_place(address, "en") == expected


def test_an_unknown_user_agent_reads_as_unknown(panda):
    from panda_portal.accounts.services.sessions import describe_agent

    with panda.test_request_context("/"):
        assert describe_agent("") == ("Unknown device", "Unknown browser")
        assert describe_agent("x" * 5000) == ("Unknown device", "Unknown browser")
