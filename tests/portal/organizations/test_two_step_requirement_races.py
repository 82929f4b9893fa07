"""Requiring two-step verification while a member sets it up, at the same moment (PostgreSQL, real transactions).

Whatever the order of the two commits, the member keeps the organization in the clients'
``orgs``, and the last access event queued for them says so (it withdraws nothing).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.oidc.claims import orgs_claim
from panda_portal.oidc.events import ACCESS_EVENT
from panda_portal.oidc.services import register_client
from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role
from panda_portal.organizations.services import two_step_requirement
from panda_portal.outbox.models import OutboxMessage
from tests.portal.mfa.helpers import turn_on

pytestmark = pytest.mark.postgres_only


def _scene(app):
    from panda_portal.organizations.demo_data import ensure_applications

    with app.test_request_context("/"):
        ensure_applications()
        client, _secret = register_client(
            "support-community",
            ["https://community.test/auth/callback"],
            backchannel_logout_uri="https://community.test/auth/backchannel-logout",
            requires_grant="support_community",
        )
        admin = Account(email="ann@race.example", name="Ann", language="en")
        member = Account(email="jan@race.example", name="Jan", language="en")
        organization = Organization(customer_number="100234", enterprise_number="0403170701", name="Bakkerij")
        db.session.add_all([admin, member, organization])
        db.session.flush()
        from panda_portal.organizations.models import ApplicationGrant

        for account, role in ((admin, Role.ADMIN), (member, Role.MEMBER)):
            membership = Membership(
                organization_id=organization.id, account_id=account.id, role=role, status=MembershipStatus.ACTIVE
            )
            membership.grants.append(ApplicationGrant(application_key="support_community"))
            db.session.add(membership)
        db.session.commit()
        turn_on(admin)
        return admin.id, member.id, organization.id


@pytest.mark.parametrize("member_first", [True, False])
def test_a_member_setting_up_two_step_while_it_becomes_required_keeps_the_organization(concurrent_app, member_first):
    admin_id, member_id, organization_id = _scene(concurrent_app)
    started = threading.Event()
    errors: list[BaseException] = []

    def requiring() -> None:
        with concurrent_app.test_request_context("/"):
            try:
                if member_first:
                    started.wait(timeout=10)
                organization = db.session.get(Organization, organization_id)
                admin = db.session.get(Account, admin_id)
                two_step_requirement.set_requirement(organization, True, actor=admin)
                if not member_first:
                    started.set()
                    threading.Event().wait(0.5)  # hold the lock while the member's transaction runs
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.close()

    def setting_up() -> None:
        with concurrent_app.test_request_context("/"):
            try:
                if not member_first:
                    started.wait(timeout=10)
                member = db.session.get(Account, member_id)
                turn_on(member) if not member_first else _turn_on_holding(member, started)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.close()

    threads = [threading.Thread(target=requiring), threading.Thread(target=setting_up)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []

    with concurrent_app.test_request_context("/"):
        member = db.session.get(Account, member_id)
        from panda_portal.oidc.models import OidcClient

        client = db.session.scalars(select(OidcClient)).one()
        assert [org["id"] for org in orgs_claim(member, client)] == [str(organization_id)]
        events = [
            row.payload["withdrawn"]
            for row in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == ACCESS_EVENT).order_by(OutboxMessage.id)
            )
            if row.payload["sub"] == str(member_id)
        ]
        # Member first: the administrator's transaction waited, then saw the member's two-step
        # verification, and withdrew nothing. Administrator first: the organization was withdrawn,
        # and the member's transaction, having waited, gave it back in the event queued last.
        if member_first:
            assert events == []
        else:
            assert events == [[str(organization_id)], []]


def _turn_on_holding(member, started: threading.Event) -> None:
    """Turn two-step verification on, and let the administrator start before this transaction commits."""
    from panda_portal.mfa.services import totp, two_step
    from tests.portal.mfa.helpers import code

    secret = totp.new_secret()
    two_step.turn_on(member, secret, code(secret, steps_from_now=-1), actor=member)
    started.set()
    threading.Event().wait(0.5)  # the administrator's transaction now waits for these locks, or runs
    db.session.commit()
