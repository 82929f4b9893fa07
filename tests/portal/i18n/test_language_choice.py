"""Which language a page is in: the menu's choice, then the account's language, then the browser's, then English."""

from __future__ import annotations

import pytest

from shared.i18n import LANGUAGE_COOKIE
from tests.i18n_checks import html_lang, page_text


def language_of(response) -> str | None:
    return html_lang(response.get_data(as_text=True))


@pytest.fixture()
def griet(make_account, panda_db):
    account = make_account(name="Griet Vermeulen", email="griet@bakkerij-peeters.test", language="nl")
    panda_db.session.commit()
    return account


def test_without_any_preference_pages_are_in_english(browser):
    page = browser().get("/sign-in")
    assert language_of(page) == "en"
    assert "Sign in" in page_text(page.get_data(as_text=True))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-BE,fr;q=0.9,en;q=0.5", "fr"),
        ("nl-BE", "nl"),
        ("de-DE,de;q=0.9", "en"),
        ("de-DE,de;q=0.9,fr;q=0.4", "fr"),
    ],
)
def test_a_visitor_gets_the_best_language_their_browser_asks_for(browser, header, expected):
    assert language_of(browser(accept_language=header).get("/sign-in")) == expected


def test_the_accounts_language_beats_the_browsers(browser, griet):
    page = browser(signed_in=griet, accept_language="fr-BE,fr").get("/")
    assert language_of(page) == "nl"
    assert "Wissel van organisatie" in page_text(page.get_data(as_text=True))


def test_the_choice_in_the_menu_beats_the_accounts_language(browser, griet):
    client = browser(signed_in=griet, accept_language="nl-BE")
    chosen = client.post_form("/language", {"language": "fr", "next": "/account"}, page="/")
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/account"
    assert f"{LANGUAGE_COOKIE}=fr" in chosen.headers["Set-Cookie"]
    page = client.get("/account")
    assert language_of(page) == "fr"
    assert "Changer d'organisation" in page_text(page.get_data(as_text=True))


def test_the_choice_in_the_menu_also_holds_for_a_visitor(browser):
    client = browser(accept_language="fr-BE")
    client.post_form("/language", {"language": "nl", "next": "/sign-in"}, page="/sign-in")
    assert language_of(client.get("/sign-in")) == "nl"
    assert language_of(client.get("/register")) == "nl"


def test_a_language_the_portal_does_not_speak_is_not_remembered(browser):
    client = browser(accept_language="fr")
    response = client.post_form("/language", {"language": "de", "next": "/sign-in"}, page="/sign-in")
    assert LANGUAGE_COOKIE not in response.headers.get("Set-Cookie", "")
    client.set_cookie(LANGUAGE_COOKIE, "xx")
    assert language_of(client.get("/sign-in")) == "fr"


def test_changing_the_accounts_language_changes_the_pages(browser, griet, panda_db):
    client = browser(signed_in=griet)
    assert language_of(client.get("/")) == "nl"
    saved = client.post_form(
        "/account", {"name": "Griet Vermeulen", "language": "fr"}, page="/account", follow_redirects=True
    )
    assert language_of(saved) == "fr"
    # The confirmation is already in the new language.
    assert "Vos données ont été enregistrées." in page_text(saved.get_data(as_text=True))
    assert language_of(client.get("/orgs")) == "fr"


def test_a_new_account_language_outranks_an_earlier_choice_in_the_menu(browser, griet):
    client = browser(signed_in=griet, chosen_language="en")
    assert language_of(client.get("/")) == "en"
    saved = client.post_form(
        "/account", {"name": "Griet Vermeulen", "language": "fr"}, page="/account", follow_redirects=True
    )
    assert language_of(saved) == "fr"
    assert "Vos données ont été enregistrées." in page_text(saved.get_data(as_text=True))
    assert client.get_cookie(LANGUAGE_COOKIE) is None
    assert language_of(client.get("/")) == "fr"


def test_saving_the_profile_without_changing_the_language_keeps_the_menus_choice(browser, griet):
    client = browser(signed_in=griet, chosen_language="fr")
    saved = client.post_form(
        "/account", {"name": "Griet Peeters", "language": "nl"}, page="/account", follow_redirects=True
    )
    assert language_of(saved) == "fr"
    assert client.get_cookie(LANGUAGE_COOKIE).value == "fr"


def test_after_signing_out_the_browser_decides_again(browser, griet):
    client = browser(signed_in=griet, accept_language="fr-BE")
    assert language_of(client.get("/")) == "nl"
    signed_out = client.post_form("/sign-out", {}, page="/", follow_redirects=True)
    assert language_of(signed_out) == "fr"
    assert "Vous êtes déconnecté." in page_text(signed_out.get_data(as_text=True))


def test_the_language_menu_is_on_every_page_and_names_each_language_in_itself(browser, griet):
    html = browser(signed_in=griet).get("/").get_data(as_text=True)
    assert 'name="language"' in html
    for code, name in (("en", "English"), ("nl", "Nederlands"), ("fr", "Français")):
        assert f'<option value="{code}" lang="{code}"' in html and name in html
