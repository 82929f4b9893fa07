"""The queue's counts per view and per status stay exact without counting every open case.

The database keeps the cases per assignee and status (``case_queue_counts``, triggers on
``cases``) as cases are opened, assigned, change status, are written in bulk or deleted;
counts it does not keep (a filter besides the assignee, a search, breaching SLA) stop at a
limit and say so ("1,000+"). Two agents taking each other's cases at the same moment both count.
"""

from __future__ import annotations

import re
import threading
import time
import uuid

import pytest
from sqlalchemy import delete, func, insert, select, update

from shared.database import utcnow
from support_community.cases.models import Case, CaseQueueCount, Person, Product, Severity, Status
from support_community.cases.services import assignment, loading, queue, sla
from support_community.cases.services.queue import QueueFilters
from support_community.extensions import db
from tests.community.agents.test_queue import get, rows
from tests.community.concurrency import someone_waits_for_a_lock
from tests.community.factories import grant, make_agent, make_case, make_person

NEW, IN_PROGRESS, WAITING, SOLVED = Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER, Status.SOLVED


def kept() -> dict[tuple[str, Status], int]:
    rows_ = db.session.execute(select(CaseQueueCount.assignee_sub, CaseQueueCount.status, CaseQueueCount.total))
    return {(assignee, Status(status)): total for assignee, status, total in rows_ if total}


def from_the_cases() -> dict[tuple[str, Status], int]:
    assignee = func.coalesce(Case.assignee_sub, "")
    found = db.session.execute(select(assignee, Case.status, func.count()).group_by(assignee, Case.status))
    return {(sub, Status(status)): number for sub, status, number in found}


def view_links(page: str) -> dict[str, str]:
    return dict(re.findall(r'<a href="/agent\?view=(\w+)"[^>]*>[^<(]*\(([^)]*)\)</a>', page))


def test_the_views_count_what_the_cases_are_as_they_are_opened_assigned_and_closed(community_client, agent):
    customer = make_person()
    eva = make_agent("Eva Claes", sub="eva")
    first = make_case(customer)
    second = make_case(customer, assignee=agent)
    make_case(customer, assignee=eva, status=WAITING)
    make_case(customer, status=SOLVED)
    page = get(community_client)
    assert view_links(page) == {
        "inbox": "2",
        "unassigned": "1",
        "mine": "1",
        "waiting": "1",
        "breaching": "0",
        "open": "3",
    }

    assignment.assign(first, agent, actor=agent)
    second.status = WAITING
    db.session.flush()
    db.session.execute(update(Case).where(Case.status == SOLVED).values(status=NEW))  # SQL by hand counts too
    db.session.execute(delete(Case).where(Case.assignee_sub == "eva"))
    assert kept() == from_the_cases()
    page = get(community_client)
    assert view_links(page) == {
        "inbox": "3",
        "unassigned": "1",
        "mine": "2",
        "waiting": "1",
        "breaching": "0",
        "open": "3",
    }
    assert queue.view_counts(agent) == {"inbox": 3, "unassigned": 1, "mine": 2, "waiting": 1, "breaching": 0, "open": 3}


def test_the_counts_per_status_of_a_view_come_from_the_kept_counts(community_client, agent):
    customer = make_person()
    make_case(customer, assignee=agent)
    make_case(customer, assignee=agent, status=SOLVED)
    make_case(customer)
    make_case(customer, assignee=make_agent("Eva Claes", sub="eva"), status=IN_PROGRESS)
    result = queue.queue(QueueFilters(status="all"), agent=agent)
    assert result.counts == {NEW: 1, SOLVED: 1} and result.total == 2 and not result.capped
    result = queue.queue(QueueFilters(assignee="any"), agent=agent)
    assert result.counts == {NEW: 2, SOLVED: 1, IN_PROGRESS: 1} and result.total == 3
    page = get(community_client, status="all", assignee="any")
    assert "All (4)" in page and "Page 1 of 1 · 4 cases" in page


def test_cases_written_in_bulk_count_and_recount_repairs_the_counts(community, agent):
    customer = make_person()
    product = db.session.get(Product, make_case(customer).product_key)
    db.session.execute(
        insert(Case),
        [
            {
                "id": uuid.uuid4(),
                "number": f"CS-2001-{n:06d}",
                "organization_id": uuid.uuid4(),
                "organization_name": "Garage Janssens",
                "product_key": product.key,
                "severity": Severity.LOW,
                "status": NEW,
                "subject": "Bulk",
                "opened_by_sub": customer.sub,
                "assignee_sub": agent.sub if n % 2 else None,
                "created_at": utcnow(),
                "last_activity_at": utcnow(),
            }
            for n in range(6)
        ],
    )
    assert kept() == from_the_cases() == {("", NEW): 4, (agent.sub, NEW): 3}
    db.session.execute(update(CaseQueueCount).values(total=0))
    assert queue.recount() == 2
    assert kept() == from_the_cases()
    assert queue.recount() == 0


def test_a_count_the_database_does_not_keep_stops_at_the_limit_and_says_so(community_client, agent, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_LIMIT", 3)
    customer = make_person()
    for _ in range(5):
        case = make_case(customer, severity=Severity.CRITICAL, assignee=agent)
        case.created_at = utcnow().replace(year=utcnow().year - 1)
        sla.case_opened(case)
    make_case(customer, severity=Severity.LOW, assignee=agent)
    db.session.flush()

    page = get(community_client)
    assert view_links(page)["breaching"] == "3+"
    assert view_links(page)["mine"] == "6"  # kept: exact beyond the limit

    page = get(community_client, severity="critical", assignee="me", status="open")
    assert len(rows(page)) == 5  # the list itself is whole
    assert "Page 1 of 1 · 5+ cases" in page  # the page holds all five: at least those
    assert "New (4+)" in page and "Closed (" not in page

    first = queue.queue(QueueFilters(severity="critical"), agent=agent, page=1, per_page=2)
    assert first.capped and first.total == 4 and first.pages == 2  # at least these, and more
    third = queue.queue(QueueFilters(severity="critical"), agent=agent, page=3, per_page=2)
    assert third.page == 3 and len(third.cases) == 1 and third.total == 5 and third.pages == 3
    every = [
        c.number
        for p in (1, 2, 3)
        for c in queue.queue(QueueFilters(severity="critical"), agent=agent, page=p, per_page=2).cases
    ]
    assert len(set(every)) == 5

    result = queue.queue(QueueFilters(severity="low"), agent=agent)
    assert result.counts == {NEW: 1} and result.total == 1 and not result.capped


def test_a_search_counts_each_case_once_whether_its_words_or_its_organization_found_it(community, agent, monkeypatch):
    """The words' side and the organization's side are counted apart (SQLite: the words from the
    full-text index), a case on both sides once, and past the limit the counts say "at least"."""
    customer = make_person()
    zeelandia = uuid.uuid4()
    grant(customer, zeelandia, name="Zeelandia NV")
    for _ in range(4):
        make_case(customer, subject="Invoice for Zeelandia", organization_name="Garage Janssens NV", status=NEW)
        make_case(customer, organization_id=zeelandia, organization_name="Old name", subject="Login", status=SOLVED)
        make_case(customer, organization_id=zeelandia, organization_name="Old name", subject="Zeelandia")
    make_case(customer, subject="Something else", organization_name="Garage Janssens NV")
    db.session.flush()

    found = queue.queue(QueueFilters(assignee="any", status="all", q="zeelandia"), agent=agent)
    assert found.counts == {NEW: 8, SOLVED: 4} and found.total == 12 and not found.capped
    open_only = queue.queue(
        QueueFilters(assignee="any", status="all", severity="normal", q="invoice zeelandia"), agent=agent
    )
    assert open_only.total == sum(open_only.counts.values()) == len(open_only.cases)

    monkeypatch.setattr(queue, "COUNT_LIMIT", 5)
    capped = queue.queue(QueueFilters(assignee="any", status="all", q="zeelandia"), agent=agent, per_page=25)
    assert capped.capped and sum(capped.counts.values()) == 6
    assert sorted(c.number for c in capped.cases) == sorted(c.number for c in found.cases)


def test_the_queue_walks_its_order_on_sqlite_with_the_same_cases_in_the_same_order(community, agent, monkeypatch):
    """Where many cases are open SQLite walks the index of the queue's order: the page is the same."""
    customer = make_person()
    eva = make_agent("Eva Claes", sub="eva")
    severities = list(Severity)
    for n in range(30):
        make_case(
            customer,
            assignee=(agent, None, eva)[n % 3],
            status=(NEW, IN_PROGRESS, WAITING, SOLVED)[n % 4],
            severity=severities[n % len(severities)],
            last_activity_at=utcnow().replace(microsecond=0) if n % 5 == 0 else None,  # ties on the time
        )
    filters = [
        QueueFilters(assignee="me_or_unassigned"),
        QueueFilters(assignee="any", sort="severity"),
        QueueFilters(assignee="any", status="all"),
        QueueFilters(assignee="eva", status="in_progress"),
    ]
    sorted_pages = {
        f: [[c.number for c in queue.queue(f, agent=agent, page=p, per_page=4).cases] for p in (1, 2, 3)]
        for f in filters
    }
    monkeypatch.setattr(queue, "WALK_FROM", 1)
    for f in filters:
        walked = [[c.number for c in queue.queue(f, agent=agent, page=p, per_page=4).cases] for p in (1, 2, 3)]
        assert walked == sorted_pages[f], f


# -- two agents at the same moment (PostgreSQL: real concurrent transactions) ----------------------
@pytest.mark.postgres_only
def test_two_agents_taking_each_others_cases_at_once_both_count(committing_community):
    """Sam takes Eva's case while Eva takes Sam's: both changes move a case between the same two
    counts, in opposite directions. The second waits for the first's commit, neither deadlocks,
    and the counts stay those of the cases."""
    app = committing_community
    with app.app_context():
        customer = Person(sub="customer", name="Ann", email="ann@example.test")
        sam = Person(sub="sam", name="Sam Support", email="sam@vendor.test", is_agent=True)
        eva = Person(sub="eva", name="Eva Claes", email="eva@vendor.test", is_agent=True)
        product = Product(key="accounting", name_en="Accounting", name_nl="Boekhouding", name_fr="Comptabilité")
        cases = [
            Case(
                id=uuid.uuid4(),
                number=f"CS-2026-00000{n}",
                organization_id=uuid.uuid4(),
                organization_name="Bakkerij Peeters BV",
                product=product,
                severity=Severity.NORMAL,
                status=IN_PROGRESS,
                subject="VAT",
                opened_by=customer,
                assignee_sub=assignee,
                created_at=utcnow(),
                last_activity_at=utcnow(),
            )
            for n, assignee in enumerate(("eva", "sam", "eva", "sam"))
        ]
        db.session.add_all([customer, sam, eva, product, *cases])
        db.session.commit()
        evas, sams = cases[0].id, cases[1].id
        assert kept() == {("eva", IN_PROGRESS): 2, ("sam", IN_PROGRESS): 2}

    errors: list[BaseException] = []
    first_changed = threading.Event()
    second_waited = threading.Event()

    def first() -> None:  # Sam takes Eva's case and takes a moment before committing
        try:
            with app.app_context():
                case = loading.find_any_case(evas, for_update=True)
                sam = db.session.get(Person, "sam")
                assignment.assign(case, sam, actor=sam)
                first_changed.set()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if someone_waits_for_a_lock(app):
                        second_waited.set()
                        break
                    time.sleep(0.02)
                db.session.commit()
        except BaseException as error:
            errors.append(error)
            first_changed.set()

    def second() -> None:  # meanwhile Eva takes one of Sam's
        try:
            first_changed.wait(10)
            with app.app_context():
                case = loading.find_any_case(sams, for_update=True)
                eva = db.session.get(Person, "eva")
                assignment.assign(case, eva, actor=eva)
                db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert not errors, errors
    assert second_waited.is_set(), "the second change never waited for the first one's counts"
    with app.app_context():
        assert kept() == from_the_cases() == {("eva", IN_PROGRESS): 2, ("sam", IN_PROGRESS): 2}
        assert db.session.get(Case, evas).assignee_sub == "sam"
        assert db.session.get(Case, sams).assignee_sub == "eva"


@pytest.mark.postgres_only
def test_cases_opened_at_the_same_moment_are_each_counted(committing_community):
    """Eight customers open a case at once: every one of them is in the "unassigned" count."""
    app = committing_community
    with app.app_context():
        customer = Person(sub="customer", name="Ann", email="ann@example.test")
        product = Product(key="accounting", name_en="Accounting", name_nl="Boekhouding", name_fr="Comptabilité")
        db.session.add_all([customer, product])
        db.session.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_one(n: int) -> None:
        try:
            with app.app_context():
                db.session.add(
                    Case(
                        id=uuid.uuid4(),
                        number=f"CS-2026-10000{n}",
                        organization_id=uuid.uuid4(),
                        organization_name="Bakkerij Peeters BV",
                        product_key="accounting",
                        severity=Severity.NORMAL,
                        status=NEW,
                        subject="VAT",
                        opened_by_sub="customer",
                        created_at=utcnow(),
                        last_activity_at=utcnow(),
                    )
                )
                start.wait(10)  # all at once: each insert's trigger adds to the same count
                db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    with app.app_context():
        assert kept() == from_the_cases() == {("", NEW): 8}
