"""The lists run the same number of SQL statements for 1, 10 or 1,000 organizations (no N+1)."""

from __future__ import annotations

import itertools
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert

from shared.database import utcnow
from support_community.cases.models import Case, CaseMessage, MessageKind, Severity, Status
from support_community.extensions import db
from tests.community.auth.fake_op import org
from tests.community.factories import PEETERS, acting_as, open_case
from tests.community.files import PDF, upload

CASES_PER_ORGANIZATION = 3
_numbers = itertools.count(1)


@contextmanager
def counted_statements(app):
    statements: list[str] = []
    engine = db.state(app).engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def organizations(count: int) -> list[dict]:
    return [PEETERS] + [org(f"Client {n:04d} BV", customer_number=str(200000 + n)) for n in range(count - 1)]


def add_cases(orgs: list[dict], opener_sub: str) -> None:
    """Several open cases per organization, written in one statement (the setup is not what is measured)."""
    now = utcnow()
    rows = []
    for claim in orgs:
        for n in range(CASES_PER_ORGANIZATION):
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "number": f"CS-2000-{next(_numbers):06d}",
                    "organization_id": uuid.UUID(claim["id"]),
                    "organization_name": claim["name"],
                    "product_key": "accounting",
                    "severity": Severity.NORMAL,
                    "status": Status.NEW,
                    "subject": f"Question {n}",
                    "opened_by_sub": opener_sub,
                    "created_at": now,
                    "last_activity_at": now,
                }
            )
    db.session.execute(insert(Case), rows)
    db.session.flush()


def statements_for(app, client, url: str) -> int:
    client.get(url)  # the first request may renew the session's expiry; measure the next one
    with counted_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize(
    "url",
    [
        "/cases",
        "/cases?page=2",
        "/cases?severity=normal&status=new",
        "/cases?status=any&sort=created&direction=asc&page=2",
        "/cases?q=question&status=any&sort=created",
        f"/orgs/{PEETERS['id']}/cases",
        f"/orgs/{PEETERS['id']}/cases?q=question&sort=severity&opener=me",
    ],
)
def test_the_lists_run_as_many_statements_for_one_ten_or_a_thousand_organizations(
    community, community_client, login, demo_catalog, url
):
    counts = {}
    for size in (1, 10, 1000):
        orgs = organizations(size)
        user = login(orgs=orgs)
        acting_as(user)
        add_cases(orgs, user.sub)
        counts[size] = statements_for(community, community_client, url)
    assert counts[1] == counts[10] == counts[1000], counts


def test_a_case_page_runs_as_many_statements_for_one_or_many_messages_and_files(
    community, community_client, login, demo_catalog, store
):
    user = login(orgs=[PEETERS])
    person = acting_as(user)
    small = open_case(PEETERS, person)
    large = open_case(PEETERS, person, uploads=[upload(f"{n}.pdf", PDF) for n in range(5)])
    for n in range(20):
        db.session.add(
            CaseMessage(
                case_id=large.id, author_sub=person.sub, kind=MessageKind.REPLY, body=f"Reply {n}", created_at=utcnow()
            )
        )
    db.session.flush()
    one = statements_for(community, community_client, f"/orgs/{PEETERS['id']}/cases/{small.id}")
    many = statements_for(community, community_client, f"/orgs/{PEETERS['id']}/cases/{large.id}")
    assert one == many


ACCOUNTANT_PAGES = [
    "/",
    "/switch",
    "/switch?q=client",
    "/switch?page=2",
    "/organizations/search?q=client&target=switch",
    "/organizations/search?q=0403170701&target=new_case",
    "/cases/new",
    "/cases/new?q=BE0403.170.701",
    "/cases",
    "/cases?q=question&status=any&sort=status&direction=asc",
    "/cases?org=client&status=waiting_for_customer",
    "/cases/export.csv?status=any",
    f"/orgs/{PEETERS['id']}/",
    f"/orgs/{PEETERS['id']}/cases?sort=status",
    f"/orgs/{PEETERS['id']}/cases/export.csv",
]


@pytest.mark.parametrize("url", ACCOUNTANT_PAGES)
def test_every_page_of_an_accountant_runs_as_many_statements_for_5_or_200_organizations(
    community, community_client, login, demo_catalog, url
):
    from support_community.auth import organizations as kept

    counts = {}
    for size in (5, 200):
        orgs = organizations(size)
        user = login(orgs=orgs)
        acting_as(user)
        add_cases(orgs, user.sub)
        kept.set_favourite(user.sub, orgs[-1]["id"], favourite=True)
        for claim in orgs[:3]:
            kept.remember_use(user.sub, claim["id"])
        counts[size] = statements_for(community, community_client, url)
    assert counts[5] == counts[200], counts
