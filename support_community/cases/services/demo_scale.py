"""``community demo --scale N [--cases M]``: the accountant with many clients, the community's half.

``shared.demo_scale`` says who the accountant is and what their clients are called, so
``panda demo --scale N`` and this command agree on every id without reading each other's
database. Here: the accountant's ``Person`` row, the list of organizations Panda would give
them (the clients with the Support Community granted), and ``M`` cases spread over those
clients, written in batches. Running it again adds only what is missing.

The list is seeded as if Panda had told it, with no ``orgs_version``: the accountant's first
real sign-in reads Panda's list and replaces it (``auth.access.store``). Once Panda's word is
kept (a version is known), the command leaves the list alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from shared import demo_scale
from shared.database import utcnow
from support_community.auth.models import PersonAccess, PersonOrganization
from support_community.auth.organizations import enterprise_digits
from support_community.cases.models import Case, CaseCounter, CaseMessage, MessageKind, Person, Severity, Status
from support_community.cases.services.numbering import case_year, format_number
from support_community.extensions import db

BATCH = 5000
PRODUCTS = ("accounting", "invoicing", "payroll", "portal")
SUBJECTS = (
    "VAT return does not balance",
    "Bank statements (CODA) not imported",
    "Invoice sent twice through Peppol",
    "Payslip shows the wrong holiday pay",
    "Annual accounts export fails",
    "Cannot sign in after the update",
    "Credit note linked to the wrong invoice",
    "Dimona declaration refused",
)
BODIES = (
    "Since this morning the figures in box 54 and box 59 differ by one cent.",
    "The import stops at the third file with an error about the account number.",
    "The customer received the same invoice twice; the second one should be cancelled.",
    "The holiday pay for May is computed on the wrong base salary.",
)
# Of every ten cases: four new, two in progress, one waiting for the customer, two solved, one closed.
STATUS_CYCLE = (
    Status.NEW,
    Status.IN_PROGRESS,
    Status.NEW,
    Status.WAITING_FOR_CUSTOMER,
    Status.SOLVED,
    Status.NEW,
    Status.IN_PROGRESS,
    Status.SOLVED,
    Status.NEW,
    Status.CLOSED,
)
SEVERITY_CYCLE = (Severity.NORMAL, Severity.LOW, Severity.NORMAL, Severity.HIGH, Severity.NORMAL, Severity.CRITICAL)


def product_of(position: int) -> str:
    """The product of the case at ``position``: each product has cases of every severity and status."""
    return PRODUCTS[(position // len(SEVERITY_CYCLE)) % len(PRODUCTS)]


@dataclass(frozen=True)
class ScaleReport:
    organizations: int
    organizations_added: int
    cases_added: int
    cases_total: int
    list_from_panda: bool  # Panda's own list is kept: the seeded one was left alone


def case_id(position: int) -> uuid.UUID:
    return uuid.uuid5(demo_scale.NAMESPACE, f"case:{position}")


def _dotted(digits: str) -> str:
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}" if len(digits) == 10 else digits


def _insert(model: type, dialect: str):  # noqa: ANN202 (a dialect's INSERT … ON CONFLICT)
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _take_numbers(year: int, count: int) -> int:
    """Reserve ``count`` case numbers of ``year`` at once; returns the first."""
    dialect = db.session.get_bind().dialect.name
    statement = (
        _insert(CaseCounter, dialect)
        .values(year=year, last_number=count)
        .on_conflict_do_update(index_elements=[CaseCounter.year], set_={"last_number": CaseCounter.last_number + count})
        .returning(CaseCounter.last_number)
    )
    return int(db.session.execute(statement).scalar_one()) - count + 1


def load_scale(clients: int, cases: int, *, now: dt.datetime | None = None) -> ScaleReport:
    """Create (or complete) the accountant, their organizations and ``cases`` cases; the caller commits."""
    now = now or utcnow()
    dialect = db.session.get_bind().dialect.name
    sub = str(demo_scale.ACCOUNT_ID)
    db.session.execute(
        _insert(Person, dialect)
        .values(sub=sub, name=demo_scale.NAME, email=demo_scale.EMAIL, locale="en", is_agent=False, last_seen_at=now)
        .on_conflict_do_nothing(index_elements=["sub"])
    )
    db.session.execute(
        _insert(PersonAccess, dialect).values(sub=sub, roles=[]).on_conflict_do_nothing(index_elements=["sub"])
    )
    access = db.session.get(PersonAccess, sub)
    granted = [client for client in demo_scale.clients(clients) if client.community_granted]
    from_panda = access is not None and access.orgs_version is not None
    added = 0
    if not from_panda:
        kept = set(db.session.scalars(select(PersonOrganization.organization_id).where(PersonOrganization.sub == sub)))
        rows = [
            {
                "sub": sub,
                "organization_id": client.id,
                "name": client.name,
                "enterprise_number": _dotted(client.enterprise_number),
                "customer_number": client.customer_number,
                "role": "admin" if client.administered else "member",
                "enterprise_digits": enterprise_digits(client.enterprise_number),
            }
            for client in granted
            if client.id not in kept
        ]
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(PersonOrganization), rows[start : start + BATCH])
        added = len(rows)

    existing = set(db.session.scalars(select(Case.id).where(Case.opened_by_sub == sub)))
    missing = [position for position in range(cases) if case_id(position) not in existing] if granted else []
    year = case_year(now)
    first = _take_numbers(year, len(missing)) if missing else 0
    for start in range(0, len(missing), BATCH):
        case_rows, message_rows = [], []
        for offset, position in enumerate(missing[start : start + BATCH], start=start):
            client = granted[(position * 7919) % len(granted)]  # spread, not in the order of the names
            status = STATUS_CYCLE[position % len(STATUS_CYCLE)]
            opened = now - dt.timedelta(minutes=37 * position + 5)
            activity = opened + dt.timedelta(minutes=(position % 600) + 1)
            activity = min(activity, now)
            identifier = case_id(position)
            case_rows.append(
                {
                    "id": identifier,
                    "number": format_number(year, first + offset),
                    "organization_id": client.id,
                    "organization_name": client.name,
                    "product_key": product_of(position),
                    "severity": SEVERITY_CYCLE[position % len(SEVERITY_CYCLE)],
                    "status": status,
                    "subject": f"{SUBJECTS[position % len(SUBJECTS)]} ({client.customer_number})",
                    "opened_by_sub": sub,
                    "created_at": opened,
                    "last_activity_at": activity,
                    "solved_at": activity if status in (Status.SOLVED, Status.CLOSED) else None,
                    "closed_at": activity if status == Status.CLOSED else None,
                }
            )
            message_rows.append(
                {
                    "id": uuid.uuid5(demo_scale.NAMESPACE, f"case-message:{position}"),
                    "case_id": identifier,
                    "author_sub": sub,
                    "kind": MessageKind.DESCRIPTION,
                    "body": BODIES[position % len(BODIES)] + f" Client {client.name}.",
                    "by_agent": False,
                    "created_at": opened,
                }
            )
        db.session.execute(insert(Case), case_rows)
        db.session.execute(insert(CaseMessage), message_rows)
    db.session.flush()
    return ScaleReport(
        organizations=len(granted),
        organizations_added=added,
        cases_added=len(missing),
        cases_total=len(existing) + len(missing),
        list_from_panda=from_panda,
    )
