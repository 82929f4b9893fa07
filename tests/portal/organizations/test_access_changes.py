"""When someone's access grows or shrinks, every client with a back-channel URI gets an access event.

The event is queued in the outbox in the transaction of the change (and pushed at once
after its commit: ``tests/portal/oidc/test_access_events.py``). It is not a logout: the
person's sessions at the client go on, and the client follows the new list.
"""

from __future__ import annotations

from sqlalchemy import select

from panda_portal.oidc.events import ACCESS_EVENT, EVERYTHING
from panda_portal.oidc.services import BACKCHANNEL_LOGOUT, register_client
from panda_portal.organizations.models import MembershipStatus, Role
from panda_portal.organizations.services import joining, members
from panda_portal.outbox.models import OutboxMessage
from tests.portal.factories import SUPPORT


def _messages(panda_db, kind: str) -> list[dict]:
    panda_db.session.flush()
    rows = panda_db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
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


def test_unticking_the_support_community_access_sends_an_access_event_naming_the_organization(
    panda, panda_db, make_account, make_org, make_membership
):
    _community(panda_db)
    admin, accountant, membership = _team(make_account, make_org, make_membership)

    members.update_membership(membership, role=Role.MEMBER, application_keys=[], actor=admin)

    assert _messages(panda_db, ACCESS_EVENT) == [
        {"client_id": "support-community", "sub": str(accountant.id), "withdrawn": [str(membership.organization_id)]}
    ]
    assert _messages(panda_db, BACKCHANNEL_LOGOUT) == []  # the person stays signed in; the list follows


def test_removing_a_member_sends_an_access_event(panda, panda_db, make_account, make_org, make_membership):
    _community(panda_db)
    admin, accountant, membership = _team(make_account, make_org, make_membership)

    members.remove_member(membership, actor=admin)

    assert [(m["sub"], m["withdrawn"]) for m in _messages(panda_db, ACCESS_EVENT)] == [
        (str(accountant.id), [str(membership.organization_id)])
    ]


def test_ticking_an_access_sends_an_access_event_that_withdraws_nothing(
    panda, panda_db, make_account, make_org, make_membership
):
    _community(panda_db)
    admin, accountant, membership = _team(make_account, make_org, make_membership)
    membership.grants = []
    panda_db.session.flush()

    members.update_membership(membership, role=Role.MEMBER, application_keys=[SUPPORT], actor=admin)

    assert _messages(panda_db, ACCESS_EVENT) == [
        {"client_id": "support-community", "sub": str(accountant.id), "withdrawn": []}
    ]


def test_an_approved_request_to_join_sends_an_access_event(panda, panda_db, make_account, make_org, make_membership):
    _community(panda_db)
    admin, requester = make_account(), make_account()
    org = make_org()
    make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
    request = make_membership(requester, org, status=MembershipStatus.PENDING)

    joining.approve_request(org, request.id, actor=admin)

    assert [m["sub"] for m in _messages(panda_db, ACCESS_EVENT)] == [str(requester.id)]


def test_adding_a_new_organization_sends_an_access_event_for_its_administrator(
    panda, panda_db, applications, make_account, make_customer
):
    _community(panda_db)
    founder = make_account()
    customer = make_customer()

    joining.create_organization(customer.customer_number, customer.enterprise_number, actor=founder)

    assert [m["sub"] for m in _messages(panda_db, ACCESS_EVENT)] == [str(founder.id)]


def test_several_changes_in_one_transaction_make_one_event_per_client_naming_every_organization(
    panda, panda_db, make_account, make_org, make_membership
):
    _community(panda_db)
    admin, accountant = make_account(), make_account()
    first, second = make_org(), make_org()
    for org in (first, second):
        make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
    one = make_membership(accountant, first, grants=[SUPPORT])
    two = make_membership(accountant, second, grants=[SUPPORT])

    members.remove_member(one, actor=admin)
    members.remove_member(two, actor=admin)

    assert _messages(panda_db, ACCESS_EVENT) == [
        {
            "client_id": "support-community",
            "sub": str(accountant.id),
            "withdrawn": sorted([str(first.id), str(second.id)]),
        }
    ]


def test_a_disabled_account_withdraws_everything_and_ends_the_sessions(panda, panda_db, applications, make_account):
    from panda_portal.accounts.services.administration import disable_account

    _community(panda_db)
    account = make_account()

    disable_account(account, actor=None)

    assert [m["withdrawn"] for m in _messages(panda_db, ACCESS_EVENT)] == [[EVERYTHING]]
    assert [m["sub"] for m in _messages(panda_db, BACKCHANNEL_LOGOUT)] == [str(account.id)]
