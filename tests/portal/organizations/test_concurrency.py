"""An organization never ends up without an administrator, whatever two requests do at the same moment.

Two real transactions on separate connections, on a fresh PostgreSQL database
with committed rows (the per-test rollback fixtures share one connection, so they
cannot show this). The first transaction to lock the organization holds its lock
until the second is provably waiting for it (``pg_stat_activity``), so the two
really overlap; without the lock both would count two administrators and both
would succeed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.postgres_only  # ``concurrent_app`` skips without PostgreSQL


@pytest.fixture()
def two_admins(concurrent_app) -> tuple:
    """Committed: an organization with exactly two active administrators; returns their membership ids."""
    from panda_portal.accounts.models import Account
    from panda_portal.extensions import db
    from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role
    from shared.database import utcnow

    with concurrent_app.app_context():
        org = Organization(name="Fiduciaire Lambert SC", customer_number="100237", enterprise_number="0456789012")
        db.session.add(org)
        ids = []
        for name in ("Ann", "Bert"):
            account = Account(email=f"{name.lower()}@example.org", name=name, language="en", email_verified_at=utcnow())
            db.session.add(account)
            db.session.flush()
            membership = Membership(
                organization_id=org.id,
                account_id=account.id,
                role=Role.ADMIN,
                status=MembershipStatus.ACTIVE,
                active_since=utcnow(),
            )
            db.session.add(membership)
            db.session.flush()
            ids.append(membership.id)
        db.session.commit()
        return org.id, ids[0], ids[1]


def hold_the_first_lock_until_the_other_transaction_waits(app, monkeypatch) -> None:
    """The first transaction to count administrators waits, lock held, until the other is blocked on it."""
    from panda_portal.extensions import db
    from panda_portal.organizations.services import members

    real_count = members.active_administrator_count
    first = threading.Lock()
    engine = db.state(app).engine

    def counting(organization_id):
        count = real_count(organization_id)
        if first.acquire(blocking=False):
            deadline = time.monotonic() + 15
            with engine.connect() as watcher:
                while time.monotonic() < deadline:
                    waiting = watcher.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        )
                    ).scalar()
                    if waiting:
                        break
                    time.sleep(0.02)
        return count

    monkeypatch.setattr(members, "active_administrator_count", counting)


def run_at_once(app, *actions: Callable) -> list[str]:
    """Run each action in its own thread, app context and database connection; commit each."""
    from panda_portal.extensions import db
    from panda_portal.organizations.services.members import MembershipError

    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = [""] * len(actions)

    def run(index: int, action: Callable) -> None:
        with app.app_context():
            try:
                prepared = action()  # loads what it needs, returns the call that changes something
                barrier.wait(timeout=15)
                prepared()
                db.session.commit()
                outcomes[index] = "done"
            except MembershipError as error:
                db.session.rollback()
                outcomes[index] = type(error).__name__
            except Exception as error:  # pragma: no cover - reported by the assertion
                db.session.rollback()
                outcomes[index] = repr(error)

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def active_admins(app, org_id) -> int:
    from panda_portal.organizations.services.members import active_administrator_count

    with app.app_context():
        return active_administrator_count(org_id)


def load(membership_id):
    from panda_portal.extensions import db
    from panda_portal.organizations.models import Membership

    return db.session.get(Membership, membership_id)


def test_of_two_administrators_stepping_down_at_once_exactly_one_succeeds(concurrent_app, two_admins, monkeypatch):
    from panda_portal.organizations.services.members import step_down

    org_id, ann_id, bert_id = two_admins
    hold_the_first_lock_until_the_other_transaction_waits(concurrent_app, monkeypatch)

    def stepping_down(membership_id):
        def prepare():
            membership = load(membership_id)
            return lambda: step_down(membership, actor=membership.account)

        return prepare

    outcomes = run_at_once(concurrent_app, stepping_down(ann_id), stepping_down(bert_id))
    assert sorted(outcomes) == ["LastAdministratorError", "done"]
    assert active_admins(concurrent_app, org_id) == 1


def test_of_two_administrators_removing_each_other_at_once_exactly_one_succeeds(
    concurrent_app, two_admins, monkeypatch
):
    from panda_portal.organizations.services.members import remove_member

    org_id, ann_id, bert_id = two_admins
    hold_the_first_lock_until_the_other_transaction_waits(concurrent_app, monkeypatch)

    def removing(target_id, actor_id):
        def prepare():
            target, actor = load(target_id), load(actor_id)
            return lambda: remove_member(target, actor=actor.account)

        return prepare

    outcomes = run_at_once(concurrent_app, removing(bert_id, ann_id), removing(ann_id, bert_id))
    assert sorted(outcomes) == ["LastAdministratorError", "done"]
    assert active_admins(concurrent_app, org_id) == 1


def test_of_two_administrators_leaving_at_once_exactly_one_succeeds(concurrent_app, two_admins, monkeypatch):
    from panda_portal.organizations.services.members import leave_organization

    org_id, ann_id, bert_id = two_admins
    hold_the_first_lock_until_the_other_transaction_waits(concurrent_app, monkeypatch)

    def leaving(membership_id):
        def prepare():
            membership = load(membership_id)
            return lambda: leave_organization(membership, actor=membership.account)

        return prepare

    outcomes = run_at_once(concurrent_app, leaving(ann_id), leaving(bert_id))
    assert sorted(outcomes) == ["LastAdministratorError", "done"]
    assert active_admins(concurrent_app, org_id) == 1
