"""Rows and claims of the community made directly in the test's database: people, organizations, cases.

make_person(), make_agent(), make_product(), make_case(opener), follow(case, person)
organization(PEETERS), user_with(PEETERS, roles=...), acting_as(panda_user)
category("accounting", "vat"), open_case(PEETERS, actor)   # through the service, like the form does
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from shared.database import utcnow
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
    return person


def make_agent(name: str = "Sam Support", **attributes) -> Person:
    return make_person(name=name, is_agent=True, **attributes)


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
    db.session.add(CaseFollower(case_id=case.id, person_sub=person.sub))
    db.session.flush()


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
    """The person row of someone signed in (made as their first action in the community would)."""
    if isinstance(user, PandaUser):
        user = SignedInPerson.from_claims({"sub": user.sub, **user.claims(), "roles": user.roles})
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
