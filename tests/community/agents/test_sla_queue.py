"""Due times on the queue and the case page; the "breaching SLA" view, its count and the sort by due time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event

from shared.database import utcnow
from support_community.cases.models import Severity, Status
from support_community.cases.services import queue, sla
from support_community.extensions import db
from tests.community.agents.test_queue import get, rows
from tests.community.factories import make_case, make_person
from tests.support import is_postgres


def aged(case, *, days: int):
    """The case as if opened ``days`` ago (its due times computed again from then)."""
    case.created_at = utcnow() - dt.timedelta(days=days)
    case.sla_paused_since = None
    sla.case_opened(case)
    db.session.flush()
    return case


def test_the_breaching_view_holds_overdue_cases_with_its_count(community_client, agent):
    customer = make_person()
    overdue = aged(make_case(customer, severity=Severity.CRITICAL, subject="Payroll export fails"), days=10)
    fresh_low = make_case(customer, severity=Severity.LOW)  # due in days
    waiting = aged(make_case(customer, status=Status.WAITING_FOR_CUSTOMER), days=10)  # paused: nothing due

    page = get(community_client)
    assert re.search(r'<a href="/agent\?view=breaching"[^>]*>Breaching SLA \(1\)</a>', page)

    page = get(community_client, view="breaching")
    assert rows(page) == [overdue.number]
    assert fresh_low.number not in page and waiting.number not in page
    assert "<h1>Breaching SLA</h1>" in page
    assert 'class="due due-overdue">Overdue by' in page


def test_the_queue_shows_when_each_case_is_due_and_sorts_on_it(community_client, agent):
    customer = make_person()
    low = make_case(customer, severity=Severity.LOW)
    critical = make_case(customer, severity=Severity.CRITICAL)
    solved = make_case(customer, status=Status.SOLVED)

    page = get(community_client, view="open", sort="due")
    assert rows(page)[:2] == [critical.number, low.number]
    assert solved.number not in page
    assert "Due in " in page
    assert re.search(r'<th scope="col"><a href="[^"]*sort=due[^"]*">Due</a></th>', page)


def test_the_case_page_shows_first_response_and_resolution_due(community_client, agent):
    case = make_case(make_person(), severity=Severity.HIGH)
    page = get(community_client, f"/agent/cases/{case.id}")
    assert "<dt>First response</dt>" in page and "<dt>Resolution</dt>" in page
    assert "Due in " in page


def test_the_case_page_says_the_clock_is_paused_while_waiting(community_client, agent):
    case = make_case(make_person(), status=Status.WAITING_FOR_CUSTOMER)
    page = get(community_client, f"/agent/cases/{case.id}")
    assert "Paused while the case waits for the customer" in page


def test_the_due_times_are_in_the_agents_language(community_client, login):
    from tests.community.factories import make_person as person

    user = login(name="Sam Support", roles=["support_agent"], orgs=[], locale="nl")
    person(user.sub, name=user.name, is_agent=True, locale="nl")
    aged(make_case(make_person(), severity=Severity.CRITICAL), days=10)
    page = get(community_client, view="breaching")
    assert "<h1>SLA in gevaar</h1>" in page
    assert re.search(r'class="due due-overdue">\d+ (dagen|dag|uur|weken|week) te laat<', page)


@pytest.mark.skipif(is_postgres(), reason="SQLite's planner, which has no statistics to choose from")
def test_sqlite_finds_the_breaching_cases_from_their_due_time_not_from_every_open_case(community_client, agent):
    """At a million cases SQLite started from the status' index (every open case, 380 ms for a view of none)."""
    customer = make_person()
    overdue = aged(make_case(customer, severity=Severity.HIGH), days=10)
    engine = db.session.get_bind()
    statements = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        if "next_due_at <=" in statement and "LIMIT" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert rows(get(community_client, view="breaching")) == [overdue.number]
        get(community_client, "/agent", assignee="me", status="open", severity="high", sla="breaching")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) >= 2
    for statement, parameters in statements:
        plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        steps = [row[-1] for row in plan if row[-1].startswith(("SEARCH cases", "SCAN cases"))]
        assert steps and "ix_cases_queue_due" in steps[-1], (steps, statement)


@pytest.mark.parametrize("walking", [False, True], ids=["looked up", "walked"])
@pytest.mark.parametrize("status", ["open", "all"])
def test_soonest_due_first_pages_through_every_case_in_order(community_client, agent, monkeypatch, walking, status):
    """The cases with a due time (soonest first, the latest activity first among equal ones) and then those
    with nothing due (waiting, solved: by latest activity), page after page, each case once."""
    if walking:
        monkeypatch.setattr(queue, "WALK_FROM", 1)  # SQLite walks the index: as with thousands of cases
    customer = make_person()
    now = utcnow()
    made = []
    for n in range(13):
        case_status = [Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER, Status.SOLVED][n % 4]
        case = make_case(customer, status=case_status, last_activity_at=now - dt.timedelta(hours=n % 5))
        case.next_due_at = (
            now + dt.timedelta(hours=[3, 1, 3, 2][n % 4] + n // 8)
            if case_status in (Status.NEW, Status.IN_PROGRESS)
            else None
        )
        made.append(case)
    db.session.flush()
    shown = [case for case in made if status == "all" or case.status != Status.SOLVED]
    expected = sorted(
        shown,
        key=lambda c: (c.next_due_at is None, c.next_due_at or now, -c.last_activity_at.timestamp(), c.id.hex),
    )
    filters = queue.QueueFilters(status=status, assignee="any", sort="due")
    listed, page = [], 1
    while True:
        result = queue.queue(filters, agent=agent, page=page, per_page=4)
        listed += [case.number for case in result.cases]
        if page * 4 >= result.total:
            break
        page += 1
    assert listed == [case.number for case in expected]
    # Seven due, then the others: the change from one part to the other falls inside page 2.
    assert [c.next_due_at is not None for c in expected] == [True] * 7 + [False] * (len(expected) - 7)
