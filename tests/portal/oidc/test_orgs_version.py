"""A token's ``orgs_version`` follows every change to the list, though a token does not read the list each time.

``access.orgs_version`` reads the list only when a write to what it is made of marked the
person's version rows (or when it was compared long ago). These tests make such writes the
ways Panda's code makes them, none of them announced with a signal, and check that the very
next refresh carries a newer version.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.portal.oidc.helpers import Flow, counted_statements, sign_in_as, verify_jwt

SUPPORT = "support_community"


@pytest.fixture()
def setting(panda, panda_db, panda_client, make_account, make_org, make_membership, make_rp):
    person = make_account()
    organization = make_org(name="Bakkerij Peeters BV")
    membership = make_membership(person, organization, grants=[SUPPORT])
    rp = make_rp(requires_grant=SUPPORT)
    panda_db.session.commit()
    sign_in_as(panda_client, person)
    flow = Flow(panda_client, rp)
    return flow, flow.tokens(), person, organization, membership


def _version(panda_client, tokens: dict) -> int:
    return verify_jwt(panda_client, tokens["access_token"]).claims["orgs_version"]


def test_a_refresh_without_any_change_keeps_the_version(panda_client, setting):
    flow, tokens, *_ = setting

    refreshed = flow.refresh(tokens["refresh_token"]).json

    assert _version(panda_client, refreshed) == _version(panda_client, tokens)


def test_a_renamed_organization_gives_the_next_refresh_a_newer_version(panda_client, panda_db, setting):
    flow, tokens, _person, organization, _membership = setting
    organization.name = "Bakkerij Peeters & Zonen BV"
    panda_db.session.commit()

    refreshed = flow.refresh(tokens["refresh_token"]).json

    assert _version(panda_client, refreshed) > _version(panda_client, tokens)


def test_a_membership_ended_by_an_update_statement_gives_the_next_refresh_a_newer_version(
    panda_client, panda_db, setting
):
    from panda_portal.organizations.models import Membership, MembershipStatus

    flow, tokens, _person, _organization, membership = setting
    panda_db.session.execute(
        update(Membership)
        .where(Membership.id == membership.id)
        .values(status=MembershipStatus.REMOVED)
        .execution_options(synchronize_session=False)
    )
    panda_db.session.commit()

    refreshed = flow.refresh(tokens["refresh_token"]).json
    userinfo = flow.browser.get("/userinfo", headers={"Authorization": f"Bearer {refreshed['access_token']}"})

    assert _version(panda_client, refreshed) > _version(panda_client, tokens)
    assert userinfo.json["orgs"] == [] and userinfo.json["orgs_version"] == _version(panda_client, refreshed)


def test_a_support_agent_flag_gives_the_next_refresh_a_newer_version_and_role(panda_client, panda_db, setting):
    flow, tokens, person, *_ = setting
    person.is_support_agent = True
    panda_db.session.commit()

    refreshed = flow.refresh(tokens["refresh_token"]).json
    claims = verify_jwt(panda_client, refreshed["access_token"]).claims

    assert claims["orgs_version"] > _version(panda_client, tokens)
    assert claims["roles"] == ["support_agent"]


def test_a_visit_to_an_organization_does_not_make_the_next_refresh_read_the_list(panda, panda_db, setting):
    from panda_portal.extensions import db
    from panda_portal.organizations.services.switching import note_organization_used

    flow, tokens, _person, _organization, membership = setting
    note_organization_used(membership)  # when the member last opened it: not part of any list
    panda_db.session.commit()

    with counted_statements(db.engine) as shapes:
        assert flow.refresh(tokens["refresh_token"]).status_code == 200

    assert "SELECT organizations" not in shapes


def test_a_membership_inserted_by_a_statement_gives_the_next_refresh_a_newer_version(
    panda_client, panda_db, setting, make_org
):
    from sqlalchemy import insert

    from panda_portal.organizations.models import ApplicationGrant, Membership, MembershipStatus, Role
    from shared.database import new_uuid, utcnow

    flow, tokens, person, *_ = setting
    other, membership_id = make_org(name="Zuivel Janssens BV"), new_uuid()
    panda_db.session.commit()
    now = utcnow()
    panda_db.session.execute(
        insert(Membership),
        [
            {
                "id": membership_id,
                "organization_id": other.id,
                "account_id": person.id,
                "role": Role.MEMBER,
                "status": MembershipStatus.ACTIVE,
                "active_since": now,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    panda_db.session.execute(
        insert(ApplicationGrant), [{"membership_id": membership_id, "application_key": SUPPORT, "granted_at": now}]
    )
    panda_db.session.commit()

    refreshed = flow.refresh(tokens["refresh_token"]).json

    assert _version(panda_client, refreshed) > _version(panda_client, tokens)
