"""Which language a community page speaks: the menu's choice, then the token's locale, the browser, English.

The token's ``locale`` is the language of the person's account in Panda; a change
there reaches the community when it reads the claims again: at the next sign-in,
or when the organization switcher asks Panda for the newest list.
"""

from __future__ import annotations

import re

import pytest

from shared.i18n import LANGUAGE_COOKIE
from tests.community.auth.fake_op import sign_in
from tests.community.i18n.helpers import PEETERS
from tests.i18n_checks import html_lang


def lang_of(response) -> str | None:
    assert response.status_code == 200, response.status_code
    return html_lang(response.get_data(as_text=True))


@pytest.fixture()
def griet(fake_panda):
    return fake_panda.add_user(
        name="Griet Vermeulen", email="griet.vermeulen@boekhouding-vermeulen.test", locale="nl", orgs=[PEETERS]
    )


# -- a visitor: the browser, else English ------------------------------------------------------------
def test_a_visitor_whose_browser_says_nothing_reads_english(browser):
    assert lang_of(browser().get("/")) == "en"


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("nl-BE,nl;q=0.9,en;q=0.5", "nl"),
        ("fr-BE,fr;q=0.9,nl;q=0.6", "fr"),
        ("de-DE,fr;q=0.5", "fr"),
        ("de-DE,de;q=0.9", "en"),
    ],
)
def test_a_visitor_reads_the_browsers_language_when_the_community_speaks_it(browser, accept_language, language):
    assert lang_of(browser(accept_language=accept_language).get("/")) == language


def test_a_visitors_choice_in_the_menu_beats_the_browser(browser):
    client = browser(accept_language="fr-BE", chosen_language="nl")
    assert lang_of(client.get("/")) == "nl"


# -- someone signed in: the token's locale beats the browser ---------------------------------------------
def test_the_tokens_locale_beats_the_browser(browser, griet):
    client = browser(signed_in=griet, accept_language="fr-BE,fr")
    assert lang_of(client.get("/")) == "nl"
    assert "Wissel van organisatie" in client.get("/cases").get_data(as_text=True)


def test_a_choice_in_the_menu_beats_the_tokens_locale(browser, griet):
    client = browser(signed_in=griet, accept_language="nl-BE", chosen_language="fr")
    page = client.get(f"/orgs/{PEETERS['id']}/").get_data(as_text=True)
    assert html_lang(page) == "fr" and "Changer d'organisation" in page


def test_a_locale_the_community_does_not_speak_leaves_the_choice_to_the_browser(browser, griet):
    griet.locale = "de"
    assert lang_of(browser(signed_in=griet, accept_language="fr").get("/")) == "fr"
    assert lang_of(browser(signed_in=griet).get("/")) == "en"


def test_a_token_without_a_locale_leaves_the_choice_to_the_browser(browser, griet, community):
    client = browser(signed_in=griet, accept_language="fr")
    with client.session_transaction() as session:
        session["claims"] = {name: value for name, value in session["claims"].items() if name != "locale"}
    assert lang_of(client.get("/")) == "fr"


# -- the menu ------------------------------------------------------------------------------------------------
def test_choosing_a_language_in_the_menu_is_remembered_for_every_page(browser, griet):
    client = browser(signed_in=griet)
    response = client.post_form("/language", {"language": "fr", "next": "/cases?severity=high"}, page="/")

    assert response.status_code == 302 and response.headers["Location"] == "/cases?severity=high"
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie is not None and cookie.value == "fr" and cookie.http_only
    for url in ("/", "/cases", f"/orgs/{PEETERS['id']}/cases", "/account/notifications"):
        assert lang_of(client.get(url)) == "fr"


def test_the_menu_offers_each_language_in_its_own_name_with_the_current_one_chosen(browser, griet):
    page = browser(signed_in=griet).get("/").get_data(as_text=True)
    options = re.findall(r'<option value="(\w+)" lang="(\w+)"\s*(selected)?\s*>([^<]+)</option>', page)
    assert options == [
        ("en", "en", "", "English"),
        ("nl", "nl", "selected", "Nederlands"),
        ("fr", "fr", "", "Français"),
    ]


@pytest.mark.parametrize("code", ["de", "", "nl-BE", "<script>"])
def test_a_language_the_community_does_not_speak_changes_nothing(browser, griet, code):
    client = browser(signed_in=griet)
    response = client.post_form("/language", {"language": code, "next": "/"}, page="/")
    assert response.status_code == 302
    assert client.get_cookie(LANGUAGE_COOKIE) is None
    assert lang_of(client.get("/")) == "nl"


def test_the_menu_never_sends_anyone_to_another_site(browser):
    client = browser()
    response = client.post_form("/language", {"language": "nl", "next": "https://elders.example/"}, page="/")
    assert response.headers["Location"] == "/"


# -- a change of language in Panda -----------------------------------------------------------------------
def test_a_language_changed_in_panda_shows_at_the_next_sign_in(community_client, fake_panda, griet):
    sign_in(community_client, fake_panda, griet)
    assert lang_of(community_client.get("/")) == "nl"

    griet.locale = "fr"  # Griet switches her account to French in Panda
    assert lang_of(community_client.get("/")) == "nl"  # this session still has the old claims

    community_client.post_form("/auth/sign-out", {}, page="/")
    sign_in(community_client, fake_panda, griet)
    page = community_client.get("/").get_data(as_text=True)
    assert html_lang(page) == "fr" and "Changer d'organisation" in page


def test_a_language_changed_in_panda_shows_when_the_switcher_reads_the_claims_again(
    community_client, fake_panda, griet
):
    sign_in(community_client, fake_panda, griet)
    griet.locale = "fr"

    switch = community_client.get("/switch").get_data(as_text=True)

    assert html_lang(switch) == "fr" and "Changer d'organisation" in switch
    assert lang_of(community_client.get("/cases")) == "fr"


def test_a_choice_in_the_menu_still_wins_after_panda_changed_the_language(community_client, fake_panda, griet):
    sign_in(community_client, fake_panda, griet)
    community_client.post_form("/language", {"language": "nl", "next": "/"}, page="/")
    griet.locale = "fr"
    assert lang_of(community_client.get("/switch")) == "nl"
