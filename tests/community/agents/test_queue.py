"""The agents' queue: views and their counts, filters, search, the remembered choice, constant queries."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import delete, event, insert

from shared.database import utcnow
from support_community.auth.models import PersonOrganization
from support_community.cases.models import Case, CaseMessage, MessageKind, QueuePreference, Severity, Status
from support_community.cases.services import queue
from support_community.extensions import db
from tests.community.auth.fake_op import org
from tests.community.factories import grant, make_agent, make_case, make_person, make_product


def rows(page: str) -> list[str]:
    """The case numbers listed, in order."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return re.findall(r">(CS-\d{4}-\d{6})</a>", body)


def get(client, url: str = "/agent", **params) -> str:
    response = client.get(url, query_string=params or None)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_customer_cannot_open_the_queue(community_client, login):
    login(orgs=[org("Bakkerij Peeters BV")])
    assert community_client.get("/agent").status_code == 403


def test_the_queue_opens_on_the_unassigned_cases_and_mine_not_on_an_empty_my_cases(community_client, agent):
    customer = make_person()
    mine = make_case(customer, assignee=agent, status=Status.IN_PROGRESS)
    mine_solved = make_case(customer, assignee=agent, status=Status.SOLVED)
    colleagues = make_case(customer, assignee=make_agent(name="Eva Claes"))
    unassigned_high = make_case(customer, severity=Severity.HIGH)

    page = get(community_client)

    assert set(rows(page)) == {mine.number, unassigned_high.number}
    assert mine_solved.number not in page and colleagues.number not in page
    assert "<h1>Unassigned and mine</h1>" in page


def test_each_view_shows_how_many_cases_it_holds_and_opens_with_one_click(community_client, agent):
    customer = make_person()
    eva = make_agent(name="Eva Claes")
    mine = [make_case(customer, assignee=agent, status=Status.IN_PROGRESS) for _ in range(2)]
    waiting_on_mine = make_case(customer, assignee=agent, status=Status.WAITING_FOR_CUSTOMER)
    unassigned = [make_case(customer) for _ in range(3)]
    hers_waiting = make_case(customer, assignee=eva, status=Status.WAITING_FOR_CUSTOMER)
    make_case(customer, assignee=agent, status=Status.SOLVED)  # not open: in no count
    make_case(customer, status=Status.CLOSED)

    page = get(community_client)

    for label, number, view in (
        ("Unassigned and mine", 6, "inbox"),
        ("Unassigned", 3, "unassigned"),
        ("Mine", 3, "mine"),
        ("Waiting for customer", 2, "waiting"),
        ("All open", 7, "open"),
    ):
        assert re.search(rf'<a href="/agent\?view={view}"[^>]*>{label} \({number}\)</a>', page), label
    assert re.search(r'<a href="/agent\?view=inbox" aria-current="true">', page)
    assert set(rows(get(community_client, view="unassigned"))) == {c.number for c in unassigned}
    assert set(rows(get(community_client, view="mine"))) == {c.number for c in [*mine, waiting_on_mine]}
    assert set(rows(get(community_client, view="waiting"))) == {waiting_on_mine.number, hers_waiting.number}
    assert len(rows(get(community_client, view="open"))) == 7
    # The view chosen last is where the queue opens next time.
    assert set(rows(get(community_client))) == set(rows(get(community_client, view="open")))


def test_the_queue_spans_every_organization(community_client, agent):
    customer = make_person()
    peeters = make_case(customer, organization_name="Bakkerij Peeters BV")
    janssens = make_case(customer, organization_name="Garage Janssens NV")

    page = get(community_client, status="open", assignee="any")

    assert set(rows(page)) == {peeters.number, janssens.number}
    assert "Bakkerij Peeters BV" in page and "Garage Janssens NV" in page


@pytest.mark.parametrize("walking", [False, True], ids=["looked up", "walked"])
def test_filters_by_status_severity_and_product(community_client, agent, monkeypatch, walking):
    if walking:
        monkeypatch.setattr(queue, "WALK_FROM", 1)  # SQLite walks the order's index: as with thousands of cases
    customer = make_person()
    payroll = make_product("payroll", "Payroll")
    critical = make_case(customer, severity=Severity.CRITICAL, status=Status.WAITING_FOR_CUSTOMER)
    make_case(customer, severity=Severity.LOW, status=Status.WAITING_FOR_CUSTOMER)
    on_payroll = make_case(customer, product=payroll)

    assert rows(get(community_client, assignee="any", status="waiting_for_customer", severity="critical")) == [
        critical.number
    ]
    assert rows(get(community_client, assignee="any", status="all", product="payroll")) == [on_payroll.number]
    assert rows(get(community_client, assignee="any", status="open", product="payroll", sort="due")) == [
        on_payroll.number
    ]
    assert rows(get(community_client, assignee="any", status="all", product="new-product")) == []


def test_filters_by_organization_name_or_id(community_client, agent):
    customer = make_person()
    peeters_id = uuid.uuid4()
    peeters = make_case(customer, organization_id=peeters_id, organization_name="Bakkerij Peeters BV")
    make_case(customer, organization_name="Garage Janssens NV")

    assert rows(get(community_client, assignee="any", organization="peeters")) == [peeters.number]
    assert rows(get(community_client, assignee="any", organization=str(peeters_id))) == [peeters.number]
    assert rows(get(community_client, assignee="any", organization="100%_")) == []
    # As the switcher finds organizations: by customer number or enterprise number (any spelling) too.
    directory = db.session.get(PersonOrganization, (customer.sub, peeters_id))
    directory.customer_number, directory.enterprise_number = "100234", "BE 0403.170.701"
    directory.enterprise_digits = "0403170701"
    db.session.flush()
    for typed in ("100234", "0403.170.701", "BE 0403170701"):
        assert rows(get(community_client, assignee="any", organization=typed)) == [peeters.number], typed


def test_filters_by_assignee(community_client, agent):
    customer = make_person()
    eva = make_agent(name="Eva Claes")
    hers = make_case(customer, assignee=eva)
    nobodys = make_case(customer)
    mine = make_case(customer, assignee=agent)

    assert rows(get(community_client, assignee=eva.sub)) == [hers.number]
    assert rows(get(community_client, assignee="unassigned")) == [nobodys.number]
    assert rows(get(community_client, assignee="me")) == [mine.number]
    assert set(rows(get(community_client, assignee="any"))) == {hers.number, nobodys.number, mine.number}


def test_the_counts_per_status_follow_the_other_filters(community_client, agent):
    customer = make_person()
    for status, number in ((Status.NEW, 3), (Status.IN_PROGRESS, 2), (Status.CLOSED, 1)):
        for _ in range(number):
            make_case(customer, status=status, assignee=agent)
    make_case(customer, status=Status.NEW)  # not mine

    page = get(community_client, assignee="me", status="new")

    assert "New (3)" in page and "In progress (2)" in page and "Closed (1)" in page
    assert "Open (5)" in page and "All (6)" in page
    assert "Waiting for customer (0)" in page


def test_sorted_by_last_activity_or_by_severity(community_client, agent):
    customer = make_person()
    now = utcnow()
    old_critical = make_case(customer, severity=Severity.CRITICAL, last_activity_at=now - dt.timedelta(days=2))
    recent_low = make_case(customer, severity=Severity.LOW, last_activity_at=now - dt.timedelta(hours=1))
    older_high = make_case(customer, severity=Severity.HIGH, last_activity_at=now - dt.timedelta(days=3))

    assert rows(get(community_client, assignee="any")) == [recent_low.number, old_critical.number, older_high.number]
    assert rows(get(community_client, assignee="any", sort="severity")) == [
        old_critical.number,
        older_high.number,
        recent_low.number,
    ]


def test_the_queue_is_paginated(community_client, agent):
    customer = make_person()
    now = utcnow()
    cases = [make_case(customer, last_activity_at=now - dt.timedelta(minutes=n)) for n in range(30)]

    first = get(community_client, assignee="any")
    second = get(community_client, assignee="any", page="2")

    assert rows(first) == [c.number for c in cases[:25]]
    assert rows(second) == [c.number for c in cases[25:]]
    assert "Page 2 of 2 · 30 cases" in second
    assert "page=2" in first
    assert rows(get(community_client, assignee="any", page="nonsense")) == rows(first)
    assert rows(get(community_client, assignee="any", page="99")) == rows(second)


def test_nonsense_filters_fall_back_to_the_defaults(community_client, agent):
    mine = make_case(make_person(), assignee=agent)
    page = get(community_client, status="<script>", severity="urgent!!", sort="random", assignee="")
    assert rows(page) == [mine.number]
    assert "<script>" not in page


def test_the_last_choice_is_remembered_after_signing_out(community_client, login, agent, fake_panda):
    unassigned = make_case(make_person())
    get(community_client, assignee="unassigned", status="all")

    # Signed in again later (a new session): the queue opens on the same choice.
    login(fake_panda.users[agent.sub])
    page = get(community_client)

    assert rows(page) == [unassigned.number]
    assert db.session.get(QueuePreference, agent.sub).filters["assignee"] == "unassigned"
    assert re.search(r'<option selected value="unassigned">|<option value="unassigned" selected', page)


def test_my_open_cases_is_one_click_away(community_client, agent):
    mine = make_case(make_person(), assignee=agent)
    make_case(make_person())
    get(community_client, assignee="any")
    page = get(community_client, view="mine")
    assert rows(page) == [mine.number]
    assert rows(get(community_client)) == [mine.number]


def test_an_empty_queue_says_so(community_client, agent):
    assert "No cases match these filters." in get(community_client)


# -- a constant number of queries ----------------------------------------------------------------
def _bulk_cases(count: int, agent) -> None:
    customer = make_person()
    product = make_product()
    now = utcnow()
    db.session.execute(
        insert(Case),
        [
            {
                "id": uuid.uuid4(),
                "number": f"CS-2000-{n:06d}",
                "organization_id": uuid.uuid4(),
                "organization_name": f"Client {n:04d}",
                "product_key": product.key,
                "severity": Severity.NORMAL,
                "status": Status.NEW if n % 2 else Status.IN_PROGRESS,
                "subject": f"Question {n}",
                "opened_by_sub": customer.sub,
                "assignee_sub": agent.sub if n % 3 else None,
                "created_at": now,
                "last_activity_at": now - dt.timedelta(minutes=n),
            }
            for n in range(count)
        ],
    )
    db.session.flush()


def _queries_of(community_client, url: str) -> int:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        response = community_client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize(
    "url",
    [
        "/agent",
        "/agent?assignee=any&status=all&sort=severity",
        "/agent?assignee=unassigned&organization=client&page=2",
        "/agent?status=all&assignee=any&q=question",
    ],
)
def test_the_queue_runs_the_same_number_of_queries_for_1_10_and_1000_cases(community_client, agent, url):
    counts = []
    for total in (1, 10, 1000):
        db.session.execute(delete(Case))
        _bulk_cases(total, agent)
        get(community_client, url)  # the first request writes the agent's row and remembered choice
        counts.append(_queries_of(community_client, url))
    assert counts[0] == counts[1] == counts[2], counts


# -- the search box -------------------------------------------------------------------------------
def test_the_queue_has_a_search_box_named_q(community_client, agent):
    page = get(community_client)
    assert re.search(r'<input[^>]*id="q"[^>]*name="q"[^>]*type="search"|<input[^>]*type="search"[^>]*name="q"', page)


def add_message(case, author, body: str, *, kind: MessageKind = MessageKind.REPLY) -> None:
    db.session.add(
        CaseMessage(
            case_id=case.id,
            author_sub=author.sub,
            author=author,
            kind=kind,
            body=body,
            by_agent=kind == MessageKind.INTERNAL_NOTE,
            created_at=utcnow(),
        )
    )
    db.session.flush()


def _search(client, q: str) -> list[str]:
    return rows(get(client, status="all", assignee="any", q=q))


def test_an_agent_finds_a_case_by_its_number_subject_conversation_or_organization(community_client, agent):
    customer = make_person()
    by_subject = make_case(customer, subject="Payslips missing for March", organization_name="Bakkerij Peeters BV")
    by_reply = make_case(customer, subject="Question", organization_name="Garage Janssens NV")
    add_message(by_reply, customer, "The VAT return shows a rounding difference.")
    by_organization = make_case(customer, subject="Login", organization_name="Brouwerij Het Anker")
    closed_elsewhere = make_case(
        make_person(), subject="Old", status=Status.CLOSED, assignee=make_agent(), organization_name="Other"
    )

    assert _search(community_client, "payslips march") == [by_subject.number]
    assert _search(community_client, "rounding difference") == [by_reply.number]
    assert _search(community_client, "het anker") == [by_organization.number]
    # Whatever its status or assignee, a number finds the one case.
    assert _search(community_client, closed_elsewhere.number.lower()) == [closed_elsewhere.number]
    assert _search(community_client, "zanzibar") == []


def test_an_agent_finds_a_case_by_the_words_of_an_internal_note(community_client, agent):
    customer = make_person()
    case = make_case(customer, subject="Printing")
    add_message(case, agent, "Quokka: the customer's printer driver is outdated.", kind=MessageKind.INTERNAL_NOTE)
    make_case(customer, subject="Something else")

    assert _search(community_client, "quokka") == [case.number]


def test_a_search_is_not_the_view_the_queue_opens_on_next_time(community_client, agent):
    unassigned = make_case(make_person(), subject="Invoices")
    make_case(make_person(), subject="Payroll", assignee=make_agent())
    get(community_client, view="unassigned")

    assert _search(community_client, "payroll") != []
    page = get(community_client)

    assert rows(page) == [unassigned.number]
    assert db.session.get(QueuePreference, agent.sub).filters["q"] == ""


def test_a_search_with_like_wildcards_finds_only_what_is_typed(community_client, agent):
    customer = make_person()
    make_case(customer, subject="Payslips", organization_name="Bakkerij Peeters BV")
    assert _search(community_client, "100%_") == []
    assert _search(community_client, "%") == []


def test_a_search_finding_both_words_and_an_organization_lists_each_case_once_in_order(community_client, agent):
    customer = make_person()
    now = utcnow()
    zeelandia = uuid.uuid4()
    grant(customer, zeelandia, name="Zeelandia NV")
    expected = []
    for n in range(60):  # more on each side than a page
        if n % 3 == 0:  # the organization's cases (under the name they were opened with)
            case = make_case(customer, organization_id=zeelandia, organization_name="Old name", subject="Login")
        elif n % 3 == 1:  # other organizations' cases that speak of it
            case = make_case(customer, subject="Invoice for Zeelandia", organization_name="Garage Janssens NV")
        else:  # on both sides
            case = make_case(customer, organization_id=zeelandia, organization_name="Old name", subject="Zeelandia")
        case.last_activity_at = now - dt.timedelta(minutes=n)
        expected.append(case.number)
    make_case(customer, subject="Something else", organization_name="Garage Janssens NV")
    db.session.commit()

    first = get(community_client, status="all", assignee="any", q="zeelandia")
    second = get(community_client, status="all", assignee="any", q="zeelandia", page="2")

    assert rows(first) == expected[:25]
    assert rows(second) == expected[25:50]
    assert "Page 2 of 3 · 60 cases" in second
    for sort in ("severity", "due"):  # every case once, whatever the order
        listed = [
            rows(get(community_client, status="all", assignee="any", q="zeelandia", sort=sort, page=str(n)))
            for n in (1, 2, 3)
        ]
        assert sorted(sum(listed, [])) == sorted(expected)
