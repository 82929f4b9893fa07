"""``panda demo --scale N``: the accountant with N client organizations (idempotent, quick at N = 2,000).

The ids, names and numbers come from ``shared.demo_scale`` so that ``community demo
--scale N`` creates the same organizations (and the same ``sub``) without reading
Panda's database. Mia (``many.clients@example.be``) is an active member of every
client, with the Support Community where ``community_granted``, and their
administrator where ``administered``; there the other demo people wait to join.
Every other client is administered by ``clients.admin@example.be``, so a request
or an "ask for access" always reaches someone.

Rows are written in bulk: one ``SELECT … IN`` per 500 clients to find what exists,
then the missing rows in one flush.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy import select

from panda_portal.accounts.models import Account, normalize_email
from panda_portal.accounts.passwords import hash_password
from panda_portal.extensions import db
from panda_portal.organizations.demo_data import ensure_applications
from panda_portal.organizations.models import (
    Application,
    ApplicationGrant,
    CustomerRecord,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from shared import demo_scale
from shared.database import utcnow

SUPPORT = "support_community"
CLIENTS_ADMIN_EMAIL = "clients.admin@example.be"
CLIENTS_ADMIN_NAME = "Carl Clients-Admin"
# Who asks to join the organizations Mia administers (the other demo people).
REQUESTERS = ("jan.janssens@example.be", "an.peeters@example.be", "marie.dubois@example.be")
CHUNK = 500


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _account(account_id: uuid.UUID | None, email: str, name: str, password: str, password_hash: list[str]) -> Account:
    found = db.session.scalar(select(Account).where(Account.email == normalize_email(email)))
    if found is not None:
        return found
    if not password_hash:
        password_hash.append(hash_password(password))
    now = utcnow()
    account = Account(
        email=normalize_email(email),
        name=name,
        language="nl",
        password_hash=password_hash[0],
        password_changed_at=now,
        email_verified_at=now,
    )
    if account_id is not None:
        account.id = account_id
    db.session.add(account)
    db.session.flush()
    return account


class _NewMemberships:
    """The memberships of a chunk that do not exist yet (``existing``: (organization, account) pairs)."""

    def __init__(self, existing: set[tuple[uuid.UUID, uuid.UUID]], now: dt.datetime) -> None:
        self.existing, self.now = existing, now
        self.rows: list[Membership] = []

    def add(
        self, organization_id: uuid.UUID, account: Account, role: Role, grants: list[str], *, pending: bool = False
    ) -> None:
        if (organization_id, account.id) in self.existing:
            return
        self.existing.add((organization_id, account.id))
        membership = Membership(
            organization_id=organization_id,
            account_id=account.id,
            role=role,
            status=MembershipStatus.PENDING if pending else MembershipStatus.ACTIVE,
            active_since=None if pending else self.now,
            requested_at=self.now if pending else None,
        )
        membership.grants = [ApplicationGrant(application_key=key, granted_at=self.now) for key in grants]
        self.rows.append(membership)


def load_scale(count: int, password: str) -> dict[str, int]:
    """Create what is missing of the accountant with ``count`` clients; returns how many rows were added."""
    ensure_applications()
    hashed: list[str] = []
    mia = _account(demo_scale.ACCOUNT_ID, demo_scale.EMAIL, demo_scale.NAME, password, hashed)
    carl = _account(None, CLIENTS_ADMIN_EMAIL, CLIENTS_ADMIN_NAME, password, hashed)
    requesters = list(db.session.scalars(select(Account).where(Account.email.in_(REQUESTERS)).order_by(Account.email)))
    keys = list(db.session.scalars(select(Application.key).order_by(Application.position, Application.key)))
    clients = demo_scale.clients(count)
    added = {"customers": 0, "organizations": 0, "memberships": 0}
    now = utcnow()
    for chunk in _chunks(clients):
        numbers = [client.customer_number for client in chunk]
        known_customers = set(
            db.session.scalars(
                select(CustomerRecord.customer_number).where(CustomerRecord.customer_number.in_(numbers))
            )
        )
        existing = {
            organization.customer_number: organization
            for organization in db.session.scalars(
                select(Organization).where(Organization.customer_number.in_(numbers))
            )
        }
        new_rows: list[object] = []
        for client in chunk:
            if client.customer_number not in known_customers:
                new_rows.append(
                    CustomerRecord(
                        customer_number=client.customer_number,
                        enterprise_number=client.enterprise_number,
                        name=client.name,
                    )
                )
                added["customers"] += 1
            if client.customer_number not in existing:
                organization = Organization(
                    id=client.id,
                    customer_number=client.customer_number,
                    enterprise_number=client.enterprise_number,
                    name=client.name,
                    created_by_id=mia.id if client.administered else carl.id,
                )
                existing[client.customer_number] = organization
                new_rows.append(organization)
                added["organizations"] += 1
        db.session.add_all(new_rows)
        db.session.flush()

        organization_ids = [existing[client.customer_number].id for client in chunk]
        members = {
            (organization_id, account_id)
            for organization_id, account_id in db.session.execute(
                select(Membership.organization_id, Membership.account_id).where(
                    Membership.organization_id.in_(organization_ids)
                )
            )
        }
        memberships = _NewMemberships(members, now)
        for client in chunk:
            organization_id = existing[client.customer_number].id
            if client.administered:
                memberships.add(organization_id, mia, Role.ADMIN, keys)
                for requester in requesters[: 1 + client.position % len(requesters) if requesters else 0]:
                    memberships.add(organization_id, requester, Role.MEMBER, [], pending=True)
            else:
                memberships.add(organization_id, carl, Role.ADMIN, keys)
                memberships.add(organization_id, mia, Role.MEMBER, [SUPPORT] if client.community_granted else [])
        db.session.add_all(memberships.rows)
        db.session.flush()
        added["memberships"] += len(memberships.rows)
    return added
