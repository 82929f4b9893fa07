from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from panda_portal.accounts import signals
from panda_portal.accounts.models import Account, AccountToken
from shared.database import utcnow
from tests.portal.accounts.helpers import same_page
from tests.portal.factories import NEW_PASSWORD, PASSWORD


def _register(client, email="ann@example.org", name="Ann Peeters", password=PASSWORD, language="en", **extra):
    data = {"email": email, "name": name, "password": password, "language": language} | extra
    return client.post_form("/register", data, page="/register")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _is_signed_in(client) -> bool:
    return client.get("/").status_code == 200


# -- the way in ------------------------------------------------------------------------------
def test_register_confirm_sign_in_and_see_your_name_on_the_home_page(panda_client, deliver, sign_in):
    assert panda_client.get("/register").status_code == 200
    response = _register(panda_client, email="Ann@Example.org")
    assert response.status_code == 200
    assert "Check your mailbox" in _text(response)
    assert "ann@example.org" in _text(response)

    mail = deliver("ann@example.org")
    assert mail.subject == "Confirm your e-mail address for Panda"
    link = mail.link_path("/verify/")
    assert mail.text.count("http://panda.test/verify/") == 1

    page = panda_client.get(link)
    assert page.status_code == 200 and "Confirm my e-mail address" in _text(page)
    confirmed = panda_client.post_form(link, {}, page=link)
    assert confirmed.status_code == 302 and confirmed.location.endswith("/sign-in")

    response = sign_in(panda_client, "ann@example.org")
    assert response.status_code == 302 and response.location == "/"
    home = panda_client.get("/")
    assert home.status_code == 200
    assert re.search(r"<summary>\s*Ann Peeters\s*</summary>", _text(home))


def test_an_unconfirmed_account_cannot_sign_in_before_its_link_is_used(panda_client, sign_in):
    _register(panda_client)
    response = sign_in(panda_client, "ann@example.org")
    assert response.status_code == 200
    assert "not confirmed yet" in _text(response)
    assert not _is_signed_in(panda_client)


def test_the_confirmation_mail_is_in_the_language_chosen_on_the_form(panda_client, deliver):
    _register(panda_client, language="fr")
    assert 'lang="fr"' in deliver("ann@example.org").html


def test_registration_remembers_where_the_person_was_going(panda_client, deliver, sign_in):
    target = "/authorize?client_id=community&state=xyz"
    form = panda_client.get("/register?next=" + target.replace("?", "%3F").replace("&", "%26"))
    assert 'value="/authorize?client_id=community&amp;state=xyz"' in _text(form)
    _register(panda_client, next=target)
    link = deliver("ann@example.org").link_path("/verify/")
    confirmed = panda_client.post_form(link, {}, page=link)
    assert "/sign-in?next=" in confirmed.location
    response = sign_in(panda_client, "ann@example.org", next=target)
    assert response.location == target


def test_registering_refuses_a_weak_password_with_a_message_next_to_the_field(panda_client, outbox_count):
    response = _register(panda_client, password="too short")
    assert response.status_code == 400
    page = _text(response)
    assert 'id="password-error"' in page and "at least 15 characters" in page
    assert 'aria-describedby="password-hint password-error"' in page
    assert outbox_count() == 0


def test_registering_refuses_a_malformed_address(panda_client):
    response = _register(panda_client, email="not an address")
    assert response.status_code == 400
    assert "Enter a valid e-mail address." in _text(response)


# -- links -----------------------------------------------------------------------------------
def test_a_made_up_confirmation_link_shows_a_page_offering_a_new_one(panda_client):
    response = panda_client.get("/verify/made-up-token")
    assert response.status_code == 404
    page = _text(response)
    assert "This link is not valid." in page
    assert 'action="/resend-verification"' in page


def test_a_used_confirmation_link_says_so(panda_client, deliver):
    _register(panda_client)
    link = deliver("ann@example.org").link_path("/verify/")
    panda_client.post_form(link, {}, page=link)
    for response in (panda_client.get(link), panda_client.post_form(link, {}, page="/sign-in")):
        assert response.status_code == 410
        assert "This link has already been used." in _text(response)


def test_an_expired_confirmation_link_says_so(panda_client, panda_db, deliver):
    _register(panda_client)
    link = deliver("ann@example.org").link_path("/verify/")
    panda_db.session.execute(AccountToken.__table__.update().values(expires_at=utcnow() - dt.timedelta(minutes=1)))
    response = panda_client.get(link)
    assert response.status_code == 410
    assert "This link has expired." in _text(response)


def test_a_wrong_reset_link_offers_a_new_reset_link(panda_client):
    response = panda_client.get("/reset-password/" + "x" * 300)
    assert response.status_code == 404
    assert 'action="/forgot-password"' in _text(response)


def test_a_confirmation_link_cannot_be_used_to_reset_a_password(panda_client, deliver):
    _register(panda_client)
    token = deliver("ann@example.org").link_path("/verify/").rsplit("/", 1)[-1]
    assert panda_client.get(f"/reset-password/{token}").status_code == 404


# -- signing in and out ----------------------------------------------------------------------
def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(panda_client, make_account, sign_in):
    make_account(email="ann@example.org")
    wrong = sign_in(panda_client, "ann@example.org", "not the right password")
    unknown = sign_in(panda_client, "nobody@example.org", "not the right password")
    assert wrong.status_code == unknown.status_code == 200
    assert "The e-mail address or the password is not correct." in _text(wrong)
    assert same_page(_text(wrong)).replace("ann@", "X@") == same_page(_text(unknown)).replace("nobody@", "X@")


def test_an_unconfirmed_account_is_revealed_only_to_who_knows_its_password(
    panda_client, make_account, sign_in, deliver
):
    make_account(email="ann@example.org", verified=False)
    wrong = sign_in(panda_client, "ann@example.org", "not the right password")
    assert "not confirmed" not in _text(wrong)
    right = sign_in(panda_client, "ann@example.org")
    assert "not confirmed yet" in _text(right)
    assert 'action="/resend-verification"' in _text(right)
    resent = panda_client.post_form("/resend-verification", {"email": "ann@example.org"}, page="/sign-in")
    assert resent.status_code == 200
    assert "/verify/" in deliver("ann@example.org").link_path("/verify/")


def test_a_disabled_account_is_refused(panda_client, make_account, sign_in):
    from panda_portal.accounts.services.administration import disable_account

    account = make_account(email="ann@example.org")
    with panda_client.application.test_request_context():
        disable_account(account, actor=None)
    response = sign_in(panda_client, "ann@example.org")
    assert response.status_code == 403
    assert "disabled" in _text(response)
    assert not _is_signed_in(panda_client)


def test_signing_in_follows_a_same_site_next(panda_client, make_account, sign_in):
    make_account(email="ann@example.org")
    target = "/authorize?response_type=code&client_id=community&state=abc"
    page = panda_client.get("/sign-in", query_string={"next": target})
    assert 'value="/authorize?response_type=code&amp;client_id=community&amp;state=abc"' in _text(page)
    response = sign_in(panda_client, "ann@example.org", next=target)
    assert response.status_code == 302 and response.location == target


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/path", "/\\evil.example", "javascript:alert(1)"]
)
def test_signing_in_refuses_an_off_site_next(panda_client, make_account, sign_in, target):
    make_account(email="ann@example.org")
    response = sign_in(panda_client, "ann@example.org", next=target)
    assert response.status_code == 302 and response.location == "/"
    form = _text(panda_client.get("/sign-in", query_string={"next": target})).split('id="main"', 1)[1]
    assert '<input type="hidden" name="next" value="">' in form


def test_a_protected_page_sends_you_to_sign_in_and_back(panda_client, make_account, sign_in):
    make_account(email="ann@example.org")
    response = panda_client.get("/account")
    assert response.status_code == 302 and response.location == "/sign-in?next=/account"
    signed_in = sign_in(panda_client, "ann@example.org", next="/account")
    assert signed_in.location == "/account"


def test_signing_in_starts_a_new_session_identifier(panda_client, make_account, sign_in):
    make_account(email="ann@example.org")
    panda_client.get("/sign-in")
    before = panda_client.get_cookie("panda_session")
    sign_in(panda_client, "ann@example.org")
    after = panda_client.get_cookie("panda_session")
    assert after is not None and (before is None or before.value != after.value)


def test_a_session_identifier_planted_before_the_sign_in_opens_nothing_after_it(
    panda_client, other_client, make_account, sign_in
):
    make_account(email="ann@example.org")
    panda_client.get("/sign-in")
    planted = panda_client.get_cookie("panda_session")
    assert planted is not None  # the sign-in page's session, holding the CSRF token
    assert sign_in(panda_client, "ann@example.org").status_code == 302
    assert panda_client.get("/account").status_code == 200

    other_client.set_cookie("panda_session", planted.value)  # whoever knew the identifier before
    response = other_client.get("/account")

    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_signing_out_ends_the_session_and_tells_listeners(panda_client, make_account, sign_in):
    account = make_account(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    seen = []

    def receiver(_app, **kwargs):
        seen.append((kwargs["account"].id, kwargs["sid"]))

    signals.signed_out.connect(receiver)
    try:
        response = panda_client.post_form("/sign-out", {}, page="/account")
    finally:
        signals.signed_out.disconnect(receiver)
    assert response.status_code == 302 and response.location == "/sign-in"
    assert len(seen) == 1 and seen[0][0] == account.id and seen[0][1]
    assert not _is_signed_in(panda_client)
    assert "You are signed out." in _text(panda_client.get("/sign-in"))


def test_signing_out_is_only_possible_with_a_post(panda_client, make_account, sign_in):
    make_account(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    assert panda_client.get("/sign-out").status_code == 405
    assert _is_signed_in(panda_client)


# -- no answer tells whether an address is registered ---------------------------------------
def test_registering_a_taken_address_looks_the_same_and_mails_the_owner(
    panda_client, make_account, deliver, mail_sink, outbox_count, panda_db
):
    make_account(email="ann@example.org", name="Ann")
    before = outbox_count()
    taken = _register(panda_client, email="ANN@example.org", name="Someone Else")
    after_taken = outbox_count()
    free = _register(panda_client, email="bob@example.org", name="Someone Else")
    assert taken.status_code == free.status_code == 200
    assert same_page(_text(taken)).replace("ann@", "X@") == same_page(_text(free)).replace("bob@", "X@")
    assert after_taken - before == 1 and outbox_count() - after_taken == 1
    deliver()
    [owner_mail] = mail_sink.to("ann@example.org")
    assert "tried to create" in owner_mail.subject
    assert "/forgot-password" in owner_mail.text
    owner = panda_db.session.execute(select(Account).where(Account.email == "ann@example.org")).scalar_one()
    assert owner.name == "Ann"


@pytest.mark.parametrize("state", ["unconfirmed", "confirmed", "unknown"])
def test_asking_for_a_new_confirmation_link_looks_the_same_for_every_address(
    panda_client, make_account, deliver, mail_sink, outbox_count, state
):
    if state != "unknown":
        make_account(email="ann@example.org", verified=state == "confirmed")
    before = outbox_count()
    response = panda_client.post_form("/resend-verification", {"email": "ann@example.org"}, page="/resend-verification")
    assert response.status_code == 200
    reference = ("<h1>Check your mailbox</h1>", "We sent a mail to ann@example.org.")
    assert all(part in _text(response) for part in reference)
    assert outbox_count() - before == 1
    deliver()
    [mail] = mail_sink.to("ann@example.org")
    assert ("/verify/" in mail.text) == (state == "unconfirmed")


def test_the_resend_page_is_identical_for_known_and_unknown_addresses(panda_client, make_account):
    make_account(email="ann@example.org", verified=False)
    known = panda_client.post_form("/resend-verification", {"email": "ann@example.org"}, page="/resend-verification")
    unknown = panda_client.post_form("/resend-verification", {"email": "bob@example.org"}, page="/resend-verification")
    assert same_page(_text(known)).replace("ann@", "X@") == same_page(_text(unknown)).replace("bob@", "X@")


def test_asking_for_a_password_reset_looks_the_same_for_known_and_unknown_addresses(
    panda_client, make_account, deliver, mail_sink, outbox_count
):
    make_account(email="ann@example.org")
    before = outbox_count()
    known = panda_client.post_form("/forgot-password", {"email": "Ann@example.org"}, page="/forgot-password")
    middle = outbox_count()
    unknown = panda_client.post_form("/forgot-password", {"email": "bob@example.org"}, page="/forgot-password")
    assert known.status_code == unknown.status_code == 200
    assert same_page(_text(known)).replace("ann@", "X@") == same_page(_text(unknown)).replace("bob@", "X@")
    assert middle - before == 1 and outbox_count() - middle == 1
    deliver()
    assert "/reset-password/" in mail_sink.last_to("ann@example.org").text
    assert "/reset-password/" not in mail_sink.last_to("bob@example.org").text


# -- passwords -------------------------------------------------------------------------------
def test_a_password_reset_ends_every_session_of_the_account(panda_client, other_client, make_account, sign_in, deliver):
    make_account(email="ann@example.org")
    sign_in(other_client, "ann@example.org")
    sign_in(panda_client, "ann@example.org")
    assert _is_signed_in(other_client) and _is_signed_in(panda_client)

    panda_client.post_form("/forgot-password", {"email": "ann@example.org"}, page="/forgot-password")
    mail = deliver("ann@example.org")
    link = mail.link_path("/reset-password/")
    form = panda_client.get(link)
    assert form.status_code == 200 and 'autocomplete="new-password"' in _text(form)
    response = panda_client.post_form(link, {"password": NEW_PASSWORD}, page=link)
    assert response.status_code == 302 and response.location == "/sign-in"

    assert not _is_signed_in(other_client)
    assert not _is_signed_in(panda_client)
    assert "Your password has been changed." in _text(panda_client.get("/sign-in"))
    assert sign_in(other_client, "ann@example.org").status_code == 200  # the old password no longer works
    assert sign_in(other_client, "ann@example.org", NEW_PASSWORD).status_code == 302
    assert panda_client.post_form(link, {"password": "a third long password"}, page="/sign-in").status_code == 410


def test_a_reset_refuses_a_weak_password_and_keeps_the_link(panda_client, make_account, deliver):
    make_account(email="ann@example.org")
    panda_client.post_form("/forgot-password", {"email": "ann@example.org"}, page="/forgot-password")
    link = deliver("ann@example.org").link_path("/reset-password/")
    weak = panda_client.post_form(link, {"password": "password"}, page=link)
    assert weak.status_code == 400 and "at least 15 characters" in _text(weak)
    assert panda_client.post_form(link, {"password": NEW_PASSWORD}, page=link).status_code == 302


def test_changing_the_password_keeps_this_session_and_ends_the_others(
    panda_client, other_client, make_account, sign_in, deliver
):
    make_account(email="ann@example.org")
    sign_in(other_client, "ann@example.org")
    sign_in(panda_client, "ann@example.org")
    page = panda_client.get("/account/password")
    assert 'autocomplete="current-password"' in _text(page) and 'autocomplete="new-password"' in _text(page)

    response = panda_client.post_form(
        "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, page="/account/password"
    )
    assert response.status_code == 302 and response.location == "/account"
    assert _is_signed_in(panda_client)
    assert not _is_signed_in(other_client)
    assert "password was changed" in deliver("ann@example.org").subject


def test_changing_the_password_needs_the_right_current_password(panda_client, make_account, sign_in):
    make_account(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    response = panda_client.post_form(
        "/account/password",
        {"current_password": "not my password", "new_password": NEW_PASSWORD},
        page="/account/password",
    )
    assert response.status_code == 400
    assert "Your current password is not correct." in _text(response)


# -- profile ---------------------------------------------------------------------------------
def test_the_profile_page_edits_name_and_language(panda_client, make_account, sign_in, panda_db):
    account = make_account(email="ann@example.org", name="Ann")
    sign_in(panda_client, "ann@example.org")
    page = _text(panda_client.get("/account"))
    assert 'autocomplete="name"' in page and "ann@example.org" in page
    response = panda_client.post_form("/account", {"name": "Ann Peeters", "language": "nl"}, page="/account")
    assert response.status_code == 302
    panda_db.session.refresh(account)
    assert (account.name, account.language) == ("Ann Peeters", "nl")
    assert re.search(r"<summary>\s*Ann Peeters\s*</summary>", _text(panda_client.get("/")))


def test_the_profile_refuses_an_empty_name_and_an_unknown_language(panda_client, make_account, sign_in):
    make_account(email="ann@example.org", name="Ann")
    sign_in(panda_client, "ann@example.org")
    assert panda_client.post_form("/account", {"name": "  ", "language": "en"}, page="/account").status_code == 400
    assert panda_client.post_form("/account", {"name": "Ann", "language": "xx"}, page="/account").status_code == 400


def test_the_profile_needs_a_signed_in_person(panda_client):
    assert panda_client.get("/account").status_code == 302
    assert panda_client.get("/account/password").status_code == 302


# -- forms -----------------------------------------------------------------------------------
FORMS = [
    "/sign-in",
    "/register",
    "/resend-verification",
    "/forgot-password",
    "/verify/some-token",
    "/reset-password/some-token",
    "/sign-out",
    "/account",
    "/account/password",
]


@pytest.mark.parametrize("url", FORMS)
def test_every_form_refuses_a_post_without_a_csrf_token(panda_client, make_account, sign_in, url):
    make_account(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    response = panda_client.post(
        url,
        data={
            "email": "ann@example.org",
            "password": PASSWORD,
            "name": "X",
            "language": "en",
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert _is_signed_in(panda_client)


@pytest.mark.parametrize("url", ["/sign-in", "/register", "/resend-verification", "/forgot-password"])
def test_every_input_has_a_visible_label_and_an_autocomplete_hint(panda_client, url):
    page = _text(panda_client.get(url))
    main = page.split('<main id="main"', 1)[1]
    inputs = re.findall(r"<(?:input|select)\b[^>]*>", main)
    visible = [tag for tag in inputs if 'type="hidden"' not in tag and 'type="submit"' not in tag]
    assert visible
    for tag in visible:
        field_id = re.search(r'id="([^"]+)"', tag).group(1)
        assert f'for="{field_id}"' in main, tag
        assert "autocomplete=" in tag, tag


def test_pages_have_one_main_heading(panda_client):
    for url in ["/sign-in", "/register", "/resend-verification", "/forgot-password"]:
        assert _text(panda_client.get(url)).count("<h1>") == 1


def test_a_sign_in_whose_transaction_fails_leaves_the_browser_signed_out(
    panda, panda_client, panda_db, make_account, sign_in, monkeypatch
):
    from panda_portal.accounts import views

    make_account(email="ann@example.org")
    panda_db.session.commit()
    monkeypatch.setitem(panda.config, "PROPAGATE_EXCEPTIONS", False)  # the error page, as in production
    finish = views.finish_sign_in

    def finish_then_fail_at_the_commit(*args, **kwargs):
        response = finish(*args, **kwargs)  # the session is started and stored with the sign-in

        def failing_commit():
            raise RuntimeError("the database went away at the commit")

        monkeypatch.setattr(panda_db.session, "commit", failing_commit)
        return response

    monkeypatch.setattr(views, "finish_sign_in", finish_then_fail_at_the_commit)
    assert sign_in(panda_client, "ann@example.org").status_code == 500
    monkeypatch.undo()

    # The new session was to be stored in that transaction: its cookie opens nothing.
    assert panda_client.get_cookie("panda_session") is not None
    response = panda_client.get("/account")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
