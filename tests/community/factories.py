"""Rows and claims of the community made directly in the test's database: people, organizations, cases.

make_person(), make_agent(), make_product(), make_case(opener), follow(case, person)
organization(PEETERS), user_with(PEETERS, roles=...), acting_as(panda_user)
category("accounting", "vat"), open_case(PEETERS, actor)   # through the service, like the form does
grant(person, organization_id), withdraw(person, organization_id)   # what Panda says they may act for

The people made here are known to the community's access (``auth.access``) as Panda would
have told it: a case's opener and its followers may see its organization, an agent is one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from sqlalchemy import delete

from shared.database import utcnow
from support_community.auth.access import store
from support_community.auth.models import PersonAccess, PersonOrganization
from support_community.auth.session import OrganizationClaim, SignedInPerson
from support_community.cases.models import (
    Case,
    CaseFollower,
    CaseMessage,
    Category,
    MessageKind,
    Person,
    Product,
    Severity,
    Status,
)
from support_community.cases.services import creating, people
from support_community.extensions import db
from tests.community.auth.fake_op import PandaUser, org

PEETERS = org(
    "Bakkerij Peeters BV",
    enterprise_number="0403.170.701",
    customer_number="100234",
    id="6a1e0b2c-1111-4c4c-8d8d-000000000001",
)
JANSSENS = org(
    "Garage Janssens NV",
    enterprise_number="0202.239.951",
    customer_number="100999",
    role="admin",
    id="6a1e0b2c-1111-4c4c-8d8d-000000000002",
)

_numbers = itertools.count(1)


# -- rows made directly ---------------------------------------------------------------------------
def make_person(
    sub: str | None = None,
    *,
    name: str = "Ann Accountant",
    email: str | None = None,
    locale: str = "en",
    is_agent: bool = False,
    notify_followed: bool = True,
) -> Person:
    sub = sub or str(uuid.uuid4())
    person = Person(
        sub=sub,
        name=name,
        email=email or f"{sub[:8]}@example.test",
        locale=locale,
        is_agent=is_agent,
        notify_followed=notify_followed,
        last_seen_at=utcnow(),
    )
    db.session.add(person)
    db.session.flush()
    _known(sub, roles=["support_agent"] if is_agent else [])
    return person


def make_agent(name: str = "Sam Support", **attributes) -> Person:
    return make_person(name=name, is_agent=True, **attributes)


# -- what Panda says a person may act for (``auth.access``) ----------------------------------------
def _known(sub: str, *, roles: list[str]) -> PersonAccess:
    row = db.session.get(PersonAccess, sub)
    if row is None:
        row = PersonAccess(sub=sub, roles=roles, orgs_version=None)
        db.session.add(row)
        db.session.flush()
    return row


def grant(person: Person, organization_id: str | uuid.UUID, name: str = "Bakkerij Peeters BV") -> None:
    """``person`` may act for the organization (as if Panda's list named it)."""
    _known(person.sub, roles=[])
    org_id = uuid.UUID(str(organization_id))
    if db.session.get(PersonOrganization, (person.sub, org_id)) is None:
        db.session.add(PersonOrganization(sub=person.sub, organization_id=org_id, name=name, role="member"))
        db.session.flush()


def withdraw(person: Person, organization_id: str | uuid.UUID) -> None:
    """``person`` no longer may act for the organization (kept by the community, without telling anyone)."""
    db.session.execute(
        delete(PersonOrganization).where(
            PersonOrganization.sub == person.sub, PersonOrganization.organization_id == uuid.UUID(str(organization_id))
        )
    )
    db.session.flush()


def make_product(key: str = "accounting", name: str = "Accounting") -> Product:
    product = db.session.get(Product, key)
    if product is None:
        product = Product(
            key=key, name_en=name, name_nl=name + " (nl)", name_fr=name + " (fr)", position=0, active=True
        )
        db.session.add(product)
        db.session.flush()
    return product


def make_case(
    opener: Person,
    *,
    organization_id: str | uuid.UUID | None = None,
    organization_name: str = "Bakkerij Peeters BV",
    subject: str = "The VAT return does not balance",
    description: str = "Box 54 and box 59 differ by one cent.",
    status: Status = Status.NEW,
    severity: Severity = Severity.NORMAL,
    assignee: Person | None = None,
    product: Product | None = None,
    last_activity_at: dt.datetime | None = None,
    solved_at: dt.datetime | None = None,
    closed_at: dt.datetime | None = None,
) -> Case:
    product = product or make_product()
    now = utcnow()
    case = Case(
        id=uuid.uuid4(),
        number=f"CS-1999-{next(_numbers):06d}",
        organization_id=uuid.UUID(str(organization_id)) if organization_id else uuid.uuid4(),
        organization_name=organization_name,
        product_key=product.key,
        product=product,
        severity=severity,
        status=status,
        subject=subject,
        opened_by_sub=opener.sub,
        opened_by=opener,
        assignee_sub=assignee.sub if assignee else None,
        assignee=assignee,
        created_at=now,
        last_activity_at=last_activity_at or now,
        solved_at=solved_at,
        closed_at=closed_at,
    )
    db.session.add(case)
    db.session.flush()
    grant(opener, case.organization_id, organization_name)
    db.session.add(
        CaseMessage(
            case_id=case.id,
            author_sub=opener.sub,
            author=opener,
            kind=MessageKind.DESCRIPTION,
            body=description,
            by_agent=False,
            created_at=now,
        )
    )
    db.session.flush()
    return case


def follow(case: Case, person: Person) -> None:
    """``person`` follows the case (and may see its organization: only who may see a case can follow it)."""
    db.session.add(CaseFollower(case_id=case.id, person_sub=person.sub))
    db.session.flush()
    if not person.is_agent:
        grant(person, case.organization_id, case.organization_name)


# -- what the token says, and what the community makes of it --------------------------------------
def organization(claim: dict) -> OrganizationClaim:
    return SignedInPerson.from_claims({"sub": "x", "orgs": [claim]}).orgs[0]


def user_with(
    *orgs: dict,
    sub: str = "ann-sub",
    name: str = "Ann Accountant",
    email: str = "ann@example.test",
    roles: tuple[str, ...] = (),
    locale: str = "en",
) -> SignedInPerson:
    return SignedInPerson.from_claims(
        {"sub": sub, "name": name, "email": email, "locale": locale, "roles": list(roles), "orgs": list(orgs)}
    )


def acting_as(user: PandaUser | SignedInPerson) -> Person:
    """The person row of someone signed in (made as their first action in the community would),
    with what Panda says they may act for kept as a sign-in keeps it."""
    if isinstance(user, PandaUser):
        user = SignedInPerson.from_claims({"sub": user.sub, **user.claims(), "roles": user.roles})
    if db.session.get(PersonAccess, user.sub) is None:
        orgs = [
            {
                "id": org.id,
                "name": org.name,
                "enterprise_number": org.enterprise_number,
                "customer_number": org.customer_number,
                "role": org.role,
            }
            for org in user.orgs
        ]
        store(user.sub, orgs=orgs, roles=list(user.roles), version=None)
    return people.person_for(user)


# -- cases through the service -------------------------------------------------------------------
def category(product_key: str, key: str) -> Category:
    return db.session.query(Category).filter_by(product_key=product_key, key=key).one()


def open_case(
    org_claim: dict,
    actor: Person,
    *,
    subject: str = "The VAT return does not balance",
    description: str = "Box 54 and box 59 differ by one cent.",
    severity: str = "normal",
    product: str = "accounting",
    category_key: str | None = "vat",
    uploads=(),
) -> Case:
    chosen = category(product, category_key).id if category_key else None
    return creating.open_case(
        org=organization(org_claim),
        actor=actor,
        product_key=product,
        category_id=chosen,
        severity=severity,
        subject=subject,
        description=description,
        uploads=list(uploads),
    )
