"""Personal access tokens on the profile: made, shown once, stored hashed, listed, revoked; and introspected."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select

from tests.portal.mfa.helpers import code, turn_on
from tests.portal.oidc.helpers import basic_auth

TOKEN = re.compile(r"pat_[A-Za-z0-9_-]{43}")


def _create(client, **data):
    form = {"name": "Dashboard sync", "scopes": ["orgs:read", "orgs:admin"], "days": "90", **data}
    return client.post_form("/account/tokens", form, page="/account/tokens")


def _rows(panda_db, account):
    from panda_portal.personal_tokens.models import PersonalAccessToken

    return panda_db.session.scalars(
        select(PersonalAccessToken).where(PersonalAccessToken.account_id == account.id)
    ).all()


@pytest.fixture()
def confidential_client(panda_db):
    from panda_portal.oidc.services import register_client

    _client, secret = register_client("resource-server", ["https://rs.example.test/cb"])
    panda_db.session.commit()
    return "resource-server", secret


def _introspect(panda_client, client, token):
    return panda_client.post("/introspect", data={"token": token}, headers=basic_auth(*client)).json


def test_a_token_is_shown_once_stored_hashed_and_mailed_to_its_owner(
    panda_client, panda_db, make_account, login_as, deliver
):
    account = make_account(language="nl")
    login_as(panda_client, account)
    response = _create(panda_client)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    value = TOKEN.search(response.get_data(as_text=True)).group(0)
    [row] = _rows(panda_db, account)
    assert row.token_hash == hashlib.sha256(value.encode()).hexdigest()
    assert row.scope == "orgs:read orgs:admin" and row.name == "Dashboard sync"
    assert dt.timedelta(days=89) < row.expires_at - row.created_at <= dt.timedelta(days=90)
    listing = panda_client.get("/account/tokens").get_data(as_text=True)
    assert "Dashboard sync" in listing and value not in listing
    # One scope is enough: the checkboxes are not each required.
    assert not re.search(r'<input[^>]*name="scopes"[^>]*required', listing)
    mail = deliver(account.email)
    assert "Dashboard sync" in mail.text and value not in mail.text
    assert "toegangstoken" in mail.subject.lower()  # in the owner's language


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"days": "366"}, "days"),
        ({"days": "0"}, "days"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["admin:everything"]}, "scopes"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_a_token_beyond_a_year_without_scopes_or_name_is_refused(
    panda_client, panda_db, make_account, login_as, data, field
):
    account = make_account()
    login_as(panda_client, account)
    response = _create(panda_client, **data)
    assert response.status_code == 400
    assert not _rows(panda_db, account)


def test_a_revoked_token_is_marked_and_inactive(
    panda_client, panda_db, make_account, login_as, make_pat, confidential_client
):
    account = make_account()
    value = make_pat(account)
    assert _introspect(panda_client, confidential_client, value)["active"] is True
    login_as(panda_client, account)
    [row] = _rows(panda_db, account)
    response = panda_client.post_form(f"/account/tokens/{row.id}/revoke", page="/account/tokens")
    assert response.status_code == 302
    panda_db.session.refresh(row)
    assert row.revoked_at is not None
    assert _introspect(panda_client, confidential_client, value) == {"active": False}


def test_someone_elses_token_cannot_be_revoked(panda_client, panda_db, make_account, login_as, make_pat):
    owner, other = make_account(), make_account()
    make_pat(owner)
    [row] = _rows(panda_db, owner)
    login_as(panda_client, other)
    response = panda_client.post_form(f"/account/tokens/{row.id}/revoke", page="/account/tokens")
    assert response.status_code == 404
    panda_db.session.refresh(row)
    assert row.revoked_at is None


def test_introspection_of_a_token_names_its_person_scopes_audience_and_last_use(
    panda_client, panda_db, make_account, make_pat, confidential_client
):
    account = make_account()
    value = make_pat(account, scopes=["orgs:read", "cases:read"])
    answer = _introspect(panda_client, confidential_client, value)
    assert answer["active"] is True and answer["token_type"] == "personal_access_token"
    assert answer["sub"] == str(account.id) and answer["scope"] == "orgs:read cases:read"
    assert answer["aud"] == ["urn:panda:api", "urn:support-community:api"]
    assert answer["forbidden_orgs"] == []
    [row] = _rows(panda_db, account)
    panda_db.session.refresh(row)
    assert row.last_used_at is not None


def test_an_expired_token_is_inactive(panda_client, panda_db, make_account, make_pat, confidential_client):
    account = make_account()
    value = make_pat(account)
    [row] = _rows(panda_db, account)
    row.expires_at = row.created_at - dt.timedelta(seconds=1)
    panda_db.session.commit()
    assert _introspect(panda_client, confidential_client, value) == {"active": False}


def test_a_token_of_a_disabled_person_is_inactive(panda_client, panda_db, make_account, make_pat, confidential_client):
    from shared.database import utcnow

    account = make_account()
    value = make_pat(account)
    account.disabled_at = utcnow()
    panda_db.session.commit()
    assert _introspect(panda_client, confidential_client, value) == {"active": False}


def test_making_a_token_asks_for_a_recent_second_factor_of_those_who_have_one(
    panda, panda_client, panda_db, make_account, login_as
):
    account = make_account()
    with panda.test_request_context("/"):
        secret, _codes = turn_on(account)
    login_as(panda_client, account)  # signed in, no second factor in this session
    refused = _create(panda_client)
    assert refused.status_code == 302 and refused.location.startswith("/account/two-step/confirm")
    assert not _rows(panda_db, account)
    panda_client.post_form("/account/two-step/confirm", {"code": code(secret), "next": "/account/tokens"})
    assert _create(panda_client).status_code == 201
    assert len(_rows(panda_db, account)) == 1


def test_an_organization_that_forbids_tokens_is_listed_by_introspection(
    panda_client, panda_db, make_account, make_org, make_membership, login_as, make_pat, confidential_client
):
    from panda_portal.audit.models import AuditEvent

    admin, member = make_account(), make_account()
    org, other = make_org(), make_org()
    make_membership(admin, org, role="admin")
    make_membership(member, org)
    make_membership(member, other)
    value = make_pat(member)
    panda_db.session.commit()
    login_as(panda_client, admin)
    page = f"/orgs/{org.id}/settings/personal-tokens"
    assert panda_client.get(page).status_code == 200
    response = panda_client.post_form(page, {"forbid": "y"}, page=page)
    assert response.status_code == 302
    assert _introspect(panda_client, confidential_client, value)["forbidden_orgs"] == [str(org.id)]
    event = panda_db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organization.personal_tokens_forbidden")
    ).one()
    assert event.organization_id == org.id and event.actor_id == admin.id
    panda_client.post_form(page, {}, page=page)
    assert _introspect(panda_client, confidential_client, value)["forbidden_orgs"] == []


def test_only_administrators_change_the_rule(panda_client, panda_db, make_account, make_org, make_membership, login_as):
    member, stranger = make_account(), make_account()
    org = make_org()
    make_membership(member, org)
    panda_db.session.commit()
    login_as(panda_client, member)
    assert panda_client.get(f"/orgs/{org.id}/settings/personal-tokens").status_code == 403
    login_as(panda_client, stranger)
    assert panda_client.get(f"/orgs/{org.id}/settings/personal-tokens").status_code == 404


def test_owners_are_reminded_once_of_tokens_that_expire_within_a_week(
    panda, panda_db, make_account, make_pat, deliver, mail_sink
):
    from panda_portal.personal_tokens.models import PersonalAccessToken

    owner = make_account(language="fr")
    make_pat(owner, name="soon", days=5)
    make_pat(owner, name="later", days=30)
    revoked = make_pat(owner, name="gone", days=2)
    assert revoked
    gone = panda_db.session.scalars(select(PersonalAccessToken).where(PersonalAccessToken.name == "gone")).one()
    from shared.database import utcnow

    gone.revoked_at = utcnow()
    panda_db.session.commit()
    deliver()
    before = len(mail_sink.messages)
    run = panda.test_cli_runner().invoke(args=["tokens", "remind"])
    assert run.exit_code == 0 and "1 reminders queued" in run.output
    mail = deliver(owner.email)
    assert len(mail_sink.messages) == before + 1
    assert "soon" in mail.subject and "expire" in mail.subject  # in French
    again = panda.test_cli_runner().invoke(args=["tokens", "remind"])
    assert "0 reminders queued" in again.output
