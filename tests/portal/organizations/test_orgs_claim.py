"""The ``orgs`` claim: the contract between Panda and the community."""

from __future__ import annotations

import functools

from sqlalchemy import event

from panda_portal.oidc.claims import orgs_claim
from panda_portal.oidc.services import register_client
from panda_portal.organizations.models import MembershipStatus, Role
from tests.portal.factories import SUPPORT
from tests.portal.oidc.helpers import Flow, RelyingParty, sign_in_as, verify_jwt


def _client(panda_db, *, requires_grant: str | None = SUPPORT, client_id: str = "community"):
    client, secret = register_client(client_id, ["https://community.test/auth/callback"], requires_grant=requires_grant)
    panda_db.session.flush()
    return client, RelyingParty(client_id, secret, redirect_uri="https://community.test/auth/callback")


def test_the_claim_lists_active_memberships_with_the_grant_in_the_design_s_shape(
    panda_db, make_account, make_org, make_membership
):
    accountant = make_account()
    bakery = make_org(name="Bakkerij Peeters BV", customer_number="100234", enterprise_number="0403170701")
    make_membership(accountant, bakery, role=Role.MEMBER, grants=[SUPPORT])
    client, _rp = _client(panda_db)

    assert orgs_claim(accountant, client) == [
        {
            "id": str(bakery.id),
            "name": "Bakkerij Peeters BV",
            "enterprise_number": "0403.170.701",
            "customer_number": "100234",
            "role": "member",
        }
    ]


def test_only_active_memberships_where_the_required_grant_is_set_are_listed(
    panda_db, make_account, make_org, make_membership
):
    accountant = make_account()
    granted = make_org(name="A granted")
    not_granted = make_org(name="B member without access")
    pending = make_org(name="C pending")
    removed = make_org(name="D removed")
    rejected = make_org(name="E rejected")
    make_membership(accountant, granted, grants=[SUPPORT])
    make_membership(accountant, not_granted)
    make_membership(accountant, pending, status=MembershipStatus.PENDING, grants=[SUPPORT])
    make_membership(accountant, removed, status=MembershipStatus.REMOVED, grants=[SUPPORT])
    make_membership(accountant, rejected, status=MembershipStatus.REJECTED)
    requiring, _ = _client(panda_db)
    open_client, _ = _client(panda_db, requires_grant=None, client_id="portal-like")

    assert [o["name"] for o in orgs_claim(accountant, requiring)] == ["A granted"]
    assert [o["name"] for o in orgs_claim(accountant, open_client)] == ["A granted", "B member without access"]


def test_someone_else_s_memberships_never_appear(panda_db, make_account, make_org, make_membership):
    accountant, other = make_account(), make_account()
    make_membership(other, make_org(), grants=[SUPPORT])
    client, _ = _client(panda_db)
    assert orgs_claim(accountant, client) == []


def test_the_claim_is_built_with_one_query_however_many_organizations(
    panda, panda_db, make_account, make_org, make_membership
):
    client, _ = _client(panda_db)
    counts = []
    for size in (1, 10, 1000):
        accountant = make_account()
        for _ in range(size):
            make_membership(accountant, make_org(in_register=False), grants=[SUPPORT])
        panda_db.session.flush()
        claim, statements = _with_statement_count(panda_db.engine, functools.partial(orgs_claim, accountant, client))
        assert len(claim) == size
        counts.append(statements)
    assert counts == [1, 1, 1]


def _with_statement_count(engine, work):
    """What ``work()`` returns, and the number of SQL statements it ran."""
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        result = work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return result, len(statements)


def test_the_tokens_carry_the_list_s_version_and_userinfo_the_list_itself(
    panda, panda_db, panda_client, make_account, make_org, make_membership
):
    accountant = make_account()
    make_membership(accountant, make_org(name="Bakkerij Peeters BV"), grants=[SUPPORT])
    make_membership(accountant, make_org(name="Zonder toegang BV"))
    _client_row, rp = _client(panda_db)
    panda_db.session.commit()
    sign_in_as(panda_client, accountant)

    tokens = Flow(panda_client, rp).tokens()
    id_claims = verify_jwt(panda_client, tokens["id_token"]).claims
    access_claims = verify_jwt(panda_client, tokens["access_token"]).claims
    userinfo = panda_client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json

    assert [o["name"] for o in userinfo["orgs"]] == ["Bakkerij Peeters BV"]
    assert "orgs" not in id_claims and "orgs" not in access_claims
    assert id_claims["orgs_version"] == access_claims["orgs_version"] == userinfo["orgs_version"]
    assert id_claims["roles"] == access_claims["roles"] == userinfo["roles"] == []


def test_a_refresh_after_the_access_was_removed_carries_a_newer_version_and_userinfo_no_longer_lists_it(
    panda, panda_db, panda_client, make_account, make_org, make_membership
):
    accountant = make_account()
    membership = make_membership(accountant, make_org(name="Bakkerij Peeters BV"), grants=[SUPPORT])
    _client_row, rp = _client(panda_db)
    panda_db.session.commit()
    sign_in_as(panda_client, accountant)
    flow = Flow(panda_client, rp)
    tokens = flow.tokens()
    before = verify_jwt(panda_client, tokens["access_token"]).claims["orgs_version"]

    membership.grants = []
    panda_db.session.commit()
    refreshed = flow.refresh(tokens["refresh_token"]).json
    after = verify_jwt(panda_client, refreshed["access_token"]).claims["orgs_version"]
    userinfo = panda_client.get("/userinfo", headers={"Authorization": f"Bearer {refreshed['access_token']}"}).json

    assert after > before
    assert userinfo["orgs"] == [] and userinfo["orgs_version"] == after


def test_the_version_stays_while_the_list_stays_and_grows_with_any_change_even_an_unannounced_one(
    panda, panda_db, make_account, make_org, make_membership
):
    from panda_portal.oidc.access import orgs_snapshot

    accountant = make_account()
    client, _ = _client(panda_db)
    first = orgs_snapshot(accountant, client)
    assert orgs_snapshot(accountant, client).version == first.version

    make_membership(accountant, make_org(name="Bakkerij Peeters BV"), grants=[SUPPORT])  # no signal at all
    granted = orgs_snapshot(accountant, client)
    accountant.is_support_agent = True
    agent = orgs_snapshot(accountant, client)
    accountant.disabled_at = accountant.created_at
    disabled = orgs_snapshot(accountant, client)

    assert first.version < granted.version < agent.version < disabled.version
    assert [o["name"] for o in granted.orgs] == ["Bakkerij Peeters BV"]
    assert agent.roles == ["support_agent"]
    assert (disabled.orgs, disabled.roles) == ([], [])


def test_a_token_stays_small_however_many_organizations(
    panda, panda_db, panda_client, applications, make_account, make_org
):
    from panda_portal.organizations.models import ApplicationGrant, Membership

    accountant = make_account()
    for n in range(300):
        organization = make_org(name=f"Client {n:04d} with a rather long legal name BV", in_register=False)
        membership = Membership(
            organization_id=organization.id, account_id=accountant.id, role=Role.MEMBER, status=MembershipStatus.ACTIVE
        )
        membership.grants = [ApplicationGrant(application_key=SUPPORT)]
        panda_db.session.add(membership)
    _client_row, rp = _client(panda_db)
    panda_db.session.commit()
    sign_in_as(panda_client, accountant)

    tokens = Flow(panda_client, rp).tokens()
    userinfo = panda_client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json

    assert len(userinfo["orgs"]) == 300
    assert len(tokens["id_token"]) < 8 * 1024 and len(tokens["access_token"]) < 8 * 1024
