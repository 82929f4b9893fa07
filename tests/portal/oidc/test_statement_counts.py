"""The SQL statements of the OpenID Provider's hot paths: what they must run, and nothing more.

A refresh, a code exchange, an authorization and a userinfo call run a fixed list of
statements, the same for a person with one organization as for an accountant with many:
no lazy load, no read of the signing key per signature, no reading of the ``orgs`` list
for a token when nothing it is made of changed. Their speed is measured in
``bench/token_endpoint.py`` and ``bench/sign_in.py``; these tests keep the work from
creeping back without timing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Mapper

from tests.portal.oidc.helpers import Flow, counted_statements, sign_in_as

SUPPORT = "support_community"

# Who calls, then the rotation (find the token with its grant and person in one statement,
# then mark it used), the version of the person's list for the tokens (its row, read without a
# lock or a write: nothing changed since the list was compared), then the new tokens recorded.
# All but the first are Core statements built once, read as columns.
REFRESH = [
    "SELECT oidc_clients",
    "SELECT oidc_refresh_tokens",
    "UPDATE oidc_refresh_tokens",
    "SELECT oidc_orgs_versions",
    "INSERT oidc_access_tokens",
    "INSERT oidc_refresh_tokens",
]
# After a change to the list: the row says so, so it is locked (created if missing and read in
# one statement), the list read and compared, and the new version stored.
REFRESH_AFTER_A_CHANGE = [
    *REFRESH[:4],
    "INSERT oidc_orgs_versions",
    "SELECT organizations",
    "UPDATE oidc_orgs_versions",
    *REFRESH[4:],
]
# Who calls, the code (found, claimed once), the person, a new grant, the version of the
# list for the tokens (its row, read; the list was compared a moment ago), the new tokens.
CODE_EXCHANGE = [
    "SELECT oidc_clients",
    "SELECT oidc_authorization_codes",
    "UPDATE oidc_authorization_codes",
    "SELECT accounts",
    "INSERT oidc_token_families",
    "UPDATE oidc_authorization_codes",
    "SELECT oidc_orgs_versions",
    "INSERT oidc_access_tokens",
    "INSERT oidc_refresh_tokens",
]
# The browser's session and its person, the client (once, however often Authlib asks),
# whether the nonce was used (once), the code.
AUTHORIZE = [
    "SELECT web_sessions",
    "SELECT accounts",
    "SELECT oidc_clients",
    "SELECT oidc_authorization_codes",
    "INSERT oidc_authorization_codes",
]
# The access token's record (with its grant, client and person in the same statement), the
# version row (locked and read) and the list itself: userinfo always reads it.
USERINFO = [
    "SELECT oidc_access_tokens",
    "INSERT oidc_orgs_versions",
    "SELECT organizations",
    "SELECT organizations",  # held_back: organizations waiting for two-step verification
]


@pytest.fixture()
def accountant(make_account, make_org, make_membership):
    """A person who acts for 25 organizations in the community."""
    person = make_account()
    for n in range(25):
        make_membership(person, make_org(name=f"Client {n:02d} BV"), grants=[SUPPORT])
    return person


@pytest.fixture()
def member(make_account, make_org, make_membership):
    """A person who acts for one organization in the community."""
    person = make_account()
    make_membership(person, make_org(name="Bakkerij Peeters BV"), grants=[SUPPORT])
    return person


@pytest.fixture()
def community_rp(make_rp):
    return make_rp(requires_grant=SUPPORT)


def _engine():
    from panda_portal.extensions import db

    return db.engine


@dataclass
class ServerFlow(Flow):
    """A flow whose token and userinfo calls come from the client's server, as in production: without
    the browser's cookies (the browser's session is not read there)."""

    server: Any = None

    def token_request(self, data: dict, *, auth: str = "basic", secret: str | None = None):
        browser = self.browser
        self.browser = self.server
        try:
            return super().token_request(data, auth=auth, secret=secret)
        finally:
            self.browser = browser

    def userinfo(self, access_token: str):
        return self.server.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def _flow(panda, panda_client, panda_db, person, rp) -> ServerFlow:
    panda_db.session.commit()
    sign_in_as(panda_client, person)
    flow = ServerFlow(panda_client, rp, server=panda.test_client())
    flow.tokens()  # a first signature reads the key; a process signs with it from then on
    return ServerFlow(panda_client, rp, server=flow.server)


@pytest.mark.parametrize("person", ["member", "accountant"])
def test_a_refresh_runs_the_rotation_the_version_row_and_the_new_tokens_and_nothing_else(
    request, panda, panda_db, panda_client, community_rp, person
):
    flow = _flow(panda, panda_client, panda_db, request.getfixturevalue(person), community_rp)
    refreshed = flow.refresh(flow.tokens()["refresh_token"]).json

    with counted_statements(_engine()) as shapes:
        response = flow.refresh(refreshed["refresh_token"])

    assert response.status_code == 200, response.get_data(as_text=True)
    assert shapes == REFRESH


@pytest.mark.parametrize("person", ["member", "accountant"])
def test_a_refresh_makes_no_orm_object_but_the_client(request, panda, panda_db, panda_client, community_rp, person):
    """The refresh token, its grant and its person are read as columns: nothing for the session to
    load, track or flush (the client is an object: Authlib and the views share it)."""
    flow = _flow(panda, panda_client, panda_db, request.getfixturevalue(person), community_rp)
    refresh_token = flow.tokens()["refresh_token"]
    loaded: list[str] = []

    def count(target, _context):  # noqa: ANN001, ANN202
        loaded.append(type(target).__name__)

    event.listen(Mapper, "load", count)
    try:
        response = flow.refresh(refresh_token)
    finally:
        event.remove(Mapper, "load", count)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert loaded == ["OidcClient"]


def test_a_refresh_reads_the_list_again_after_a_change_to_it(
    panda, panda_db, panda_client, community_rp, member, make_org, make_membership
):
    flow = _flow(panda, panda_client, panda_db, member, community_rp)
    tokens = flow.tokens()
    make_membership(member, make_org(name="Zuivel Janssens BV"), grants=[SUPPORT])  # no signal: a plain write
    panda_db.session.commit()

    with counted_statements(_engine()) as shapes:
        response = flow.refresh(tokens["refresh_token"])

    assert response.status_code == 200
    assert shapes == REFRESH_AFTER_A_CHANGE


@pytest.mark.parametrize("person", ["member", "accountant"])
def test_a_code_exchange_runs_the_same_statements_for_one_or_many_organizations(
    request, panda, panda_db, panda_client, community_rp, person
):
    flow = _flow(panda, panda_client, panda_db, request.getfixturevalue(person), community_rp)
    code = flow.code()

    with counted_statements(_engine()) as shapes:
        response = flow.exchange(code)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert shapes == CODE_EXCHANGE


@pytest.mark.parametrize("person", ["member", "accountant"])
def test_an_authorization_runs_the_same_statements_for_one_or_many_organizations(
    request, panda, panda_db, panda_client, community_rp, person
):
    _flow(panda, panda_client, panda_db, request.getfixturevalue(person), community_rp)
    fresh = Flow(panda_client, community_rp)  # a nonce of its own

    with counted_statements(_engine()) as shapes:
        response = fresh.authorize()

    assert response.status_code == 302
    assert shapes == AUTHORIZE


@pytest.mark.parametrize("person", ["member", "accountant"])
def test_userinfo_runs_the_same_statements_for_one_or_many_organizations(
    request, panda, panda_db, panda_client, community_rp, person
):
    flow = _flow(panda, panda_client, panda_db, request.getfixturevalue(person), community_rp)
    access_token = flow.tokens()["access_token"]

    with counted_statements(_engine()) as shapes:
        response = flow.userinfo(access_token)

    assert response.status_code == 200
    assert shapes == USERINFO


def test_no_signature_reads_the_signing_key(panda, panda_db, panda_client, community_rp, member):
    flow = _flow(panda, panda_client, panda_db, member, community_rp)

    with counted_statements(_engine()) as shapes:
        tokens = Flow.tokens(flow)
        flow.userinfo(tokens["access_token"])
        flow.refresh(tokens["refresh_token"])

    assert "SELECT oidc_signing_keys" not in shapes
