"""When someone's access shrinks, every client with a back-channel URI is told (through the outbox)."""

from __future__ import annotations

from sqlalchemy import select

from panda_portal.oidc.services import BACKCHANNEL_LOGOUT, register_client
from panda_portal.organizations.models import Role
from panda_portal.organizations.services import members
from panda_portal.outbox.models import OutboxMessage
from tests.portal.factories import SUPPORT


def _backchannel_messages(panda_db) -> list[dict]:
    rows = panda_db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == BACKCHANNEL_LOGOUT))
    return [row.payload for row in rows.scalars()]


def _community(panda_db):
    register_client(
        "support-community",
        ["https://community.test/auth/callback"],
        backchannel_logout_uri="https://community.test/auth/backchannel-logout",
        requires_grant=SUPPORT,
    )
    register_client("no-backchannel", ["https://other.test/cb"])
    panda_db.session.flush()


def _team(make_account, make_org, make_membership):
    admin, accountant = make_account(), make_account()
    org = make_org()
    make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
    membership = make_membership(accountant, org, grants=[SUPPORT])
    return admin, accountant, membership


def test_unticking_the_support_community_access_tells_the_community(
    panda, panda_db, make_account, make_org, make_membership
):
    _community(panda_db)
    admin, accountant, membership = _team(make_account, make_org, make_membership)

    members.update_membership(membership, role=Role.MEMBER, application_keys=[], actor=admin)

    assert _backchannel_messages(panda_db) == [
        {"client_id": "support-community", "sub": str(accountant.id), "sid": None}
    ]


def test_removing_a_member_tells_the_community(panda, panda_db, make_account, make_org, make_membership):
    _community(panda_db)
    admin, accountant, membership = _team(make_account, make_org, make_membership)

    members.remove_member(membership, actor=admin)

    assert [m["sub"] for m in _backchannel_messages(panda_db)] == [str(accountant.id)]


def test_ticking_an_access_sends_no_logout(panda, panda_db, make_account, make_org, make_membership):
    _community(panda_db)
    admin, accountant, membership = _team(make_account, make_org, make_membership)
    members.update_membership(membership, role=Role.MEMBER, application_keys=[], actor=admin)
    before = len(_backchannel_messages(panda_db))

    members.update_membership(membership, role=Role.MEMBER, application_keys=[SUPPORT], actor=admin)

    assert len(_backchannel_messages(panda_db)) == before
