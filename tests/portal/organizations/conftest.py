"""Factories for the organizations tests (also used by the members and invitations tests).

    account = make_account(name="Ann", language="nl")
    org = make_org(name="Bakkerij Peeters BV")          # also in the customer register
    membership = make_membership(account, org, role=Role.ADMIN, grants=["support_community"])
    login_as(panda_client, account)

Everything is flushed in the test's transaction (rolled back afterwards).
"""
from __future__ import annotations

import itertools
import time
import uuid

import pytest
from argon2 import PasswordHasher

from panda_portal.organizations.models import Membership, MembershipStatus, Role

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def valid_enterprise_number(seed: int) -> str:
    """A valid ten-digit enterprise number, different for each seed."""
    stem = f"0{200000 + seed * 7919 % 7000000:07d}"
    return f"{stem}{97 - int(stem) % 97:02d}"


@pytest.fixture()
def make_account(panda_db):
    from panda_portal.accounts.models import Account
    from shared.database import utcnow

    hashed = PasswordHasher().hash(PASSWORD)

    def make(*, email: str | None = None, name: str | None = None, language: str = "en",
             verified: bool = True, password: bool = True, **extra) -> Account:
        n = next(_counter)
        account = Account(
            email=(email or f"person{n}@example.test").lower(),
            name=name or f"Person {n}",
            language=language,
            password_hash=hashed if password else None,
            email_verified_at=utcnow() if verified else None,
            **extra,
        )
        panda_db.session.add(account)
        panda_db.session.flush()
        return account

    return make


@pytest.fixture()
def make_customer(panda_db):
    from panda_portal.organizations.models import CustomerRecord

    def make(*, customer_number: str | None = None, enterprise_number: str | None = None,
             name: str | None = None) -> CustomerRecord:
        n = next(_counter)
        record = CustomerRecord(customer_number=customer_number or f"C{n:06d}",
                                enterprise_number=enterprise_number or valid_enterprise_number(n),
                                name=name or f"Customer {n} BV")
        panda_db.session.add(record)
        panda_db.session.flush()
        return record

    return make


@pytest.fixture()
def make_org(panda_db, make_customer):
    from panda_portal.organizations.models import Organization

    def make(*, name: str | None = None, customer_number: str | None = None,
             enterprise_number: str | None = None, in_register: bool = True) -> Organization:
        n = next(_counter)
        customer_number = customer_number or f"K{n:06d}"
        enterprise_number = enterprise_number or valid_enterprise_number(n)
        name = name or f"Organization {n} BV"
        if in_register:
            make_customer(customer_number=customer_number, enterprise_number=enterprise_number, name=name)
        org = Organization(name=name, customer_number=customer_number, enterprise_number=enterprise_number)
        panda_db.session.add(org)
        panda_db.session.flush()
        return org

    return make


@pytest.fixture()
def applications(panda_db):
    """The application rows (``support_community``)."""
    from panda_portal.organizations.demo_data import ensure_applications

    ensure_applications()
    return ["support_community"]


@pytest.fixture()
def make_membership(panda_db, applications):
    from panda_portal.organizations.models import ApplicationGrant
    from shared.database import utcnow

    def make(account, org, *, role: Role | str = Role.MEMBER,
             status: MembershipStatus | str = MembershipStatus.ACTIVE,
             grants: list[str] | tuple[str, ...] = (), message: str | None = None) -> Membership:
        status = MembershipStatus(status)
        now = utcnow()
        membership = Membership(
            organization_id=org.id, account_id=account.id, role=Role(role), status=status,
            requested_at=now if status != MembershipStatus.ACTIVE else None,
            request_message=message,
            active_since=now if status == MembershipStatus.ACTIVE else None,
        )
        membership.grants = [ApplicationGrant(application_key=key) for key in grants]
        panda_db.session.add(membership)
        panda_db.session.flush()
        return membership

    return make


def sign_in_client(client, account) -> None:
    """Make ``client`` a browser signed in as ``account`` (a fresh server-side session)."""
    with client.session_transaction() as session:
        session["account_id"] = str(account.id)
        session["auth_time"] = int(time.time())
        session["sid"] = uuid.uuid4().hex


@pytest.fixture()
def login_as():
    return sign_in_client
