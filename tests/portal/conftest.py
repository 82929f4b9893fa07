"""Fixtures of every Panda test: accounts, the customer register, organizations, memberships, mail.

    account = make_account(name="Ann", language="nl")       # confirmed, password PASSWORD
    org = make_org(name="Bakkerij Peeters BV")              # also in the customer register
    membership = make_membership(account, org, role=Role.ADMIN, grants=["support_community"])
    login_as(panda_client, account)
    mail = deliver("ann@example.org")                       # runs the outbox; the last mail to her
    app = concurrent_app                                    # PostgreSQL only: transactions that really overlap

Everything is written in the test's transaction (rolled back afterwards), except in
``concurrent_app``, which has a database of its own.
"""

from __future__ import annotations

import itertools

import pytest

from panda_portal.organizations.models import Membership, MembershipStatus, Role
from tests.portal.factories import PASSWORD, password_hash, sign_in_client, valid_enterprise_number
from tests.support import drop_database, is_postgres, make_database

_counter = itertools.count(1)


@pytest.fixture()
def make_account(panda_db):
    """Accounts as the database holds them, without mails or audit events (use the services for those)."""
    from panda_portal.accounts.models import Account, normalize_email
    from shared.database import utcnow

    def make(
        *,
        email: str | None = None,
        name: str | None = None,
        language: str = "en",
        verified: bool = True,
        password: str | None = PASSWORD,
        support_agent: bool = False,
    ) -> Account:
        n = next(_counter)
        account = Account(
            email=normalize_email(email or f"person{n}@example.test"),
            name=name or f"Person {n}",
            language=language,
            password_hash=password_hash(password) if password is not None else None,
            email_verified_at=utcnow() if verified else None,
            is_support_agent=support_agent,
        )
        panda_db.session.add(account)
        panda_db.session.commit()
        return account

    return make


@pytest.fixture()
def make_customer(panda_db):
    from panda_portal.organizations.models import CustomerRecord

    def make(
        *, customer_number: str | None = None, enterprise_number: str | None = None, name: str | None = None
    ) -> CustomerRecord:
        n = next(_counter)
        record = CustomerRecord(
            customer_number=customer_number or f"C{n:06d}",
            enterprise_number=enterprise_number or valid_enterprise_number(n),
            name=name or f"Customer {n} BV",
        )
        panda_db.session.add(record)
        panda_db.session.flush()
        return record

    return make


@pytest.fixture()
def make_org(panda_db, make_customer):
    from panda_portal.organizations.models import Organization

    def make(
        *,
        name: str | None = None,
        customer_number: str | None = None,
        enterprise_number: str | None = None,
        in_register: bool = True,
    ) -> Organization:
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

    def make(
        account,
        org,
        *,
        role: Role | str = Role.MEMBER,
        status: MembershipStatus | str = MembershipStatus.ACTIVE,
        grants: list[str] | tuple[str, ...] = (),
        message: str | None = None,
    ) -> Membership:
        status = MembershipStatus(status)
        now = utcnow()
        membership = Membership(
            organization_id=org.id,
            account_id=account.id,
            role=Role(role),
            status=status,
            requested_at=now if status != MembershipStatus.ACTIVE else None,
            request_message=message,
            active_since=now if status == MembershipStatus.ACTIVE else None,
        )
        membership.grants = [ApplicationGrant(application_key=key) for key in grants]
        panda_db.session.add(membership)
        panda_db.session.flush()
        return membership

    return make


@pytest.fixture()
def login_as():
    return sign_in_client


@pytest.fixture()
def deliver(panda, panda_db, mail_sink):
    """Deliver what the outbox holds; with an address, the last mail to it (there must be one)."""
    from panda_portal.outbox.services import outbox

    def run(address: str | None = None):
        panda_db.session.flush()  # the worker reads through its own session
        outbox.deliver_due(panda)
        return mail_sink.last_to(address) if address is not None else None

    return run


@pytest.fixture()
def concurrent_app(smtp_sink, tmp_path):
    """Panda on a fresh PostgreSQL database of its own, where transactions really commit and overlap.

    The per-test rollback fixtures run everything on one connection, so they cannot
    show two transactions racing. Here each thread's app context has its own session
    and connection; the database is dropped afterwards.
    """
    if not is_postgres():
        pytest.skip(
            "needs PostgreSQL (set TEST_DATABASE_URL): two transactions that really overlap cannot "
            "be shown on SQLite, which lets one writer at a time through"
        )
    from panda_portal import create_app
    from panda_portal.extensions import db

    url = make_database("concurrency", str(tmp_path))
    app = create_app(
        {
            "TESTING": True,
            "APP_ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "concurrency-test",
            "MAIL_SERVER": smtp_sink.host,
            "MAIL_PORT": smtp_sink.port,
            "MAIL_USE_TLS": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": None,
            "PANDA_ISSUER": "http://panda.test",
            "COMMUNITY_URL": "http://community.test",
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    db.state(app).engine.dispose()
    drop_database(url)
