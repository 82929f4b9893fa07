"""Deleting an account and changing an address, against simultaneous requests (real concurrent transactions)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from panda_portal.accounts.models import Account, EmailChange
from panda_portal.accounts.services import email_change, personal_data
from panda_portal.extensions import db
from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role
from shared.database import utcnow
from shared.errors import DomainError

pytestmark = pytest.mark.postgres_only


def _race(app, *works: Callable[[], object]) -> list[str]:
    """Run each of ``works`` in a request and transaction of its own, all starting together."""
    results: list[str] = []
    barrier = threading.Barrier(len(works))

    def run(work: Callable[[], object]) -> None:
        with app.test_request_context("/"):
            try:
                barrier.wait(timeout=10)
                work()
                db.session.commit()
                results.append("ok")
            except DomainError as error:
                db.session.rollback()
                results.append(type(error).__name__)
            finally:
                db.session.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def _organization_with_two_administrators(app) -> tuple[str, str, str]:
    with app.app_context():
        ann = Account(email="ann@race.example", name="Ann", language="en", email_verified_at=utcnow())
        bob = Account(email="bob@race.example", name="Bob", language="en", email_verified_at=utcnow())
        org = Organization(name="Bakkerij Peeters BV", customer_number="K1", enterprise_number="0403170701")
        db.session.add_all([ann, bob, org])
        db.session.flush()
        for person in (ann, bob):
            db.session.add(
                Membership(
                    organization_id=org.id,
                    account_id=person.id,
                    role=Role.ADMIN,
                    status=MembershipStatus.ACTIVE,
                    active_since=utcnow(),
                )
            )
        db.session.commit()
        return str(ann.id), str(bob.id), str(org.id)


def _administrators(app, org_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .join(Account, Account.id == Membership.account_id)
            .where(
                Membership.organization_id == org_id,
                Membership.role == Role.ADMIN,
                Membership.status == MembershipStatus.ACTIVE,
            )
        )


def _delete(account_id: str) -> Callable[[], None]:
    def work() -> None:
        account = db.session.get(Account, account_id)
        personal_data.delete_account(account, actor=account)

    return work


def test_the_two_administrators_deleting_their_accounts_at_once_leave_one_behind(concurrent_app):
    ann, bob, org = _organization_with_two_administrators(concurrent_app)

    results = _race(concurrent_app, _delete(ann), _delete(bob))

    assert results == ["LastAdministratorError", "ok"]
    assert _administrators(concurrent_app, org) == 1


def test_an_administrator_stepping_down_while_the_other_deletes_the_account_leaves_one_behind(concurrent_app):
    from panda_portal.organizations.services.members import step_down

    ann, bob, org = _organization_with_two_administrators(concurrent_app)

    def bob_steps_down() -> None:
        membership = db.session.scalar(select(Membership).where(Membership.account_id == bob))
        step_down(membership, actor=db.session.get(Account, bob))

    results = _race(concurrent_app, _delete(ann), bob_steps_down)

    assert "ok" in results and len(results) == 2 and results != ["ok", "ok"]
    assert _administrators(concurrent_app, org) == 1


def test_a_confirmation_link_used_twice_at_the_same_moment_changes_the_address_once(concurrent_app):
    token = "a-confirmation-token-for-the-race-" + "x" * 10
    with concurrent_app.app_context():
        ann = Account(email="ann@race.example", name="Ann", language="en", email_verified_at=utcnow())
        db.session.add(ann)
        db.session.flush()
        db.session.add(
            EmailChange(
                account_id=ann.id,
                old_email="ann@race.example",
                new_email="ann@new.example",
                confirm_hash=email_change._digest(token),
                confirm_expires_at=utcnow() + dt.timedelta(hours=1),
            )
        )
        db.session.commit()

    results = _race(
        concurrent_app, lambda: email_change.confirm_change(token), lambda: email_change.confirm_change(token)
    )

    assert results == ["InvalidLinkError", "ok"]
    with concurrent_app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(EmailChange).where(EmailChange.undo_hash.is_not(None)))
            == 1
        )
