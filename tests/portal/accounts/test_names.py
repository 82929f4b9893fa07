"""Person names are one line of text: no control characters, line breaks or terminal escape codes
(``accounts.names``, checked by the forms and by the services, so the command line too)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from panda_portal.accounts.models import Account
from panda_portal.accounts.services.administration import create_account
from panda_portal.accounts.services.errors import AccountError
from panda_portal.accounts.services.lookup import find_account
from panda_portal.accounts.services.profile import update_profile
from panda_portal.accounts.services.registration import register
from tests.portal.factories import PASSWORD, sign_in_client

REFUSED = "Enter the name on one line, without control characters."

# Reach the forms: the input guard lets line breaks and tabs through to the fields.
ON_MORE_THAN_ONE_LINE = {
    "line feed": "Ann\nPeeters",
    "carriage return and line feed": "Ann\r\nPeeters",
    "tab": "Ann\tPeeters",
    "line separator": "Ann\u2028Peeters",
    "paragraph separator": "Ann\u2029Peeters",
    "right-to-left override": "Ann \u202esreeteP",
    "isolate": "Ann \u2066Peeters\u2069",
}
# Never typed by a person: refused before any form by the input guard, and by the services.
CONTROLS = {
    "escape sequence": "Ann\x1b[2JPeeters",
    "bell": "Ann\x07",
    "C1 control sequence introducer": "Ann\x9b31mPeeters",
    "NUL": "Ann\x00Peeters",
    "DEL": "Ann\x7fPeeters",
}
EVERY_REFUSED = ON_MORE_THAN_ONE_LINE | CONTROLS
ACCEPTED = [
    "Zoë O'Brien-Van den Bossche",
    "Jean-Émile d'Ieteren",
    "محمد بن سلمان",
    "李小龙",
    "Mehr\u200cnaz Tehrani",  # a zero-width non-joiner belongs in Persian names
    "Ann (accounting)",
]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _accounts(panda_db) -> int:
    return panda_db.session.scalar(select(func.count()).select_from(Account))


@pytest.mark.parametrize("name", ON_MORE_THAN_ONE_LINE.values(), ids=ON_MORE_THAN_ONE_LINE.keys())
def test_registration_refuses_a_name_on_more_than_one_line_at_the_field(panda_client, panda_db, outbox_count, name):
    data = {"email": "ann@example.org", "name": name, "password": PASSWORD, "language": "en"}
    response = panda_client.post_form("/register", data, page="/register")
    assert response.status_code == 400
    page = _text(response)
    assert 'id="name-error"' in page and REFUSED in page
    assert _accounts(panda_db) == 0 and outbox_count() == 0


@pytest.mark.parametrize("name", CONTROLS.values(), ids=CONTROLS.keys())
def test_registration_with_a_control_character_in_the_name_creates_nothing(panda_client, panda_db, outbox_count, name):
    data = {"email": "ann@example.org", "name": name, "password": PASSWORD, "language": "en"}
    assert panda_client.post_form("/register", data, page="/register").status_code == 400
    assert _accounts(panda_db) == 0 and outbox_count() == 0


@pytest.mark.parametrize("name", ON_MORE_THAN_ONE_LINE.values(), ids=ON_MORE_THAN_ONE_LINE.keys())
def test_the_profile_refuses_a_name_on_more_than_one_line_and_keeps_the_old_one(
    panda_client, make_account, panda_db, name
):
    account = make_account(name="Ann Peeters")
    sign_in_client(panda_client, account)
    response = panda_client.post_form("/account", {"name": name, "language": "en"}, page="/account")
    assert response.status_code == 400
    assert REFUSED in _text(response)
    panda_db.session.refresh(account)
    assert account.name == "Ann Peeters"


def test_the_refusal_is_in_the_persons_language(panda_client, make_account):
    sign_in_client(panda_client, make_account(language="nl"))
    response = panda_client.post_form("/account", {"name": "Ann\nPeeters", "language": "nl"}, page="/account")
    assert response.status_code == 400
    assert "Vul de naam in op één regel, zonder stuurtekens." in _text(response)


@pytest.mark.parametrize("name", EVERY_REFUSED.values(), ids=EVERY_REFUSED.keys())
def test_panda_users_add_refuses_the_name_and_creates_nothing(panda, panda_db, name):
    result = panda.test_cli_runner().invoke(
        args=["users", "add", "ann@example.org", "--name", name, "--password-stdin"], input=PASSWORD
    )
    assert result.exit_code != 0
    assert REFUSED in result.output
    assert "\x1b" not in result.output and "\x9b" not in result.output  # the escape is not echoed either
    assert find_account("ann@example.org") is None


@pytest.mark.usefixtures("in_request")
@pytest.mark.parametrize("name", EVERY_REFUSED.values(), ids=EVERY_REFUSED.keys())
def test_every_service_that_sets_a_name_refuses_it_at_the_name_field(make_account, panda_db, name):
    account = make_account(name="Ann Peeters")
    attempts = [
        lambda: register("bob@example.org", name, PASSWORD, "en"),
        lambda: create_account("carol@example.org", name, PASSWORD, verified=True),
        lambda: update_profile(account, name, "en", actor=account),
    ]
    for attempt in attempts:
        with pytest.raises(AccountError) as refused:
            attempt()
        assert (refused.value.field, refused.value.message) == ("name", REFUSED)
    assert _accounts(panda_db) == 1 and account.name == "Ann Peeters"


@pytest.mark.usefixtures("in_request")
def test_a_name_longer_than_the_column_is_refused_by_the_services_too(make_account):
    with pytest.raises(AccountError) as refused:
        create_account("carol@example.org", "A" * 201, PASSWORD, verified=True)
    assert refused.value.field == "name"


@pytest.mark.parametrize("name", ACCEPTED)
def test_names_in_any_script_with_accents_and_punctuation_are_accepted(panda_client, make_account, panda_db, name):
    account = make_account(name="Ann Peeters")
    sign_in_client(panda_client, account)
    response = panda_client.post_form("/account", {"name": name, "language": "en"}, page="/account")
    assert response.status_code == 302
    panda_db.session.refresh(account)
    assert account.name == name
