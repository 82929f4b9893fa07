"""Searching cases through their search document: customers never on internal notes, agents on everything.

The document is kept by the database (triggers), so every way of writing a case or a message
counts: the services, the ORM, SQL by hand. The same searches give the same cases on SQLite
(FTS5) and PostgreSQL (tsvector).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select, text, update

from shared.database import utcnow
from support_community.auth.models import PersonOrganization
from support_community.cases.models import Case, CaseMessage, MessageKind, Severity, Status
from support_community.cases.search_index import CaseSearch, query_terms, reindex
from support_community.cases.services import listing, queue
from support_community.cases.services.listing import CaseFilters
from support_community.cases.services.queue import QueueFilters
from support_community.extensions import db
from tests.community.factories import (
    JANSSENS,
    PEETERS,
    acting_as,
    make_agent,
    make_case,
    make_person,
    open_case,
    user_with,
)
from tests.support import is_postgres


@pytest.fixture()
def ann(community):
    return acting_as(user_with(PEETERS, JANSSENS, sub="ann", name="Ann Accountant"))


def note(case: Case, author_sub: str, body: str, kind: MessageKind = MessageKind.INTERNAL_NOTE) -> CaseMessage:
    message = CaseMessage(
        case_id=case.id,
        author_sub=author_sub,
        kind=kind,
        body=body,
        by_agent=kind == MessageKind.INTERNAL_NOTE,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def customer_finds(sub: str, q: str, org_id: str | None = None) -> list[str]:
    """Subjects a customer's search finds: in one organization's list, or in "All my clients"."""
    if org_id is not None:
        # With the totals per status, as the page passes them: a few cases, each one's document checked.
        totals = listing.status_totals(sub, uuid.UUID(org_id))
        page = listing.organization_cases(org_id, CaseFilters(q=q, status="any"), viewer_sub=sub, totals=totals)
        unchecked = listing.organization_cases(org_id, CaseFilters(q=q, status="any"), viewer_sub=sub)
        assert [case.id for case in page.cases] == [case.id for case in unchecked.cases]
    else:
        page = listing.cases_across(sub, CaseFilters(q=q, status="any"))
    return sorted(case.subject for case in page.cases)


def agent_finds(agent, q: str) -> list[str]:
    page = queue.queue(QueueFilters(status="all", assignee="any", q=q), agent=agent)
    return sorted(case.subject for case in page.cases)


def test_a_customer_never_finds_a_case_by_an_internal_note_however_the_note_is_written(demo_catalog, ann):
    case = open_case(PEETERS, ann, subject="Invoices", description="Credit notes look wrong.")
    sam = make_agent(sub="sam-agent")
    secret = note(case, sam.sub, "Customer runs a pirated licence, xylophone build 7733")
    # Written by hand, past the services and the ORM.
    db.session.execute(
        text(
            "INSERT INTO case_messages (id, case_id, author_sub, kind, body, by_agent, created_at)"
            " VALUES (:id, :case_id, :author, 'internal_note', 'marimba escalation', :by_agent, :now)"
        ),
        {
            "id": uuid.uuid4().hex if not is_postgres() else str(uuid.uuid4()),
            "case_id": case.id.hex if not is_postgres() else str(case.id),
            "author": sam.sub,
            "by_agent": True,
            "now": utcnow(),
        },
    )

    for q in ("xylophone", "pirated licence", "7733", "773", "marimba", "credit xylophone"):
        assert customer_finds(ann.sub, q, PEETERS["id"]) == [], q
        assert customer_finds(ann.sub, q) == [], q
    assert customer_finds(ann.sub, "credit") == ["Invoices"]
    # An agent finds it by the note, and by the note's words together with the customer's.
    assert agent_finds(sam, "xylophone") == ["Invoices"]
    assert agent_finds(sam, "credit xylophone") == ["Invoices"]
    assert agent_finds(sam, "marimba") == ["Invoices"]

    # A reply turned into an internal note (or back) moves its words with it.
    secret.kind = MessageKind.REPLY
    db.session.flush()
    assert customer_finds(ann.sub, "xylophone") == ["Invoices"]
    secret.kind = MessageKind.INTERNAL_NOTE
    db.session.flush()
    assert customer_finds(ann.sub, "xylophone") == []


def test_the_document_follows_every_change_of_the_case_and_its_messages(demo_catalog, ann):
    case = open_case(PEETERS, ann, subject="Payslips missing", description="January payslips for the bakery.")
    reply = note(case, ann.sub, "The quokka report is attached.", kind=MessageKind.REPLY)
    assert customer_finds(ann.sub, "quokka") == ["Payslips missing"]

    reply.body = "The wombat report is attached."
    db.session.flush()
    assert customer_finds(ann.sub, "quokka") == []
    assert customer_finds(ann.sub, "wombat") == ["Payslips missing"]

    db.session.execute(update(Case).where(Case.id == case.id).values(subject="Holiday pay"))
    assert customer_finds(ann.sub, "holiday") == ["Holiday pay"]
    assert customer_finds(ann.sub, "payslips") == ["Holiday pay"]  # still in the description

    db.session.execute(delete(CaseMessage).where(CaseMessage.id == reply.id))
    assert customer_finds(ann.sub, "wombat") == []

    db.session.execute(delete(Case).where(Case.id == case.id))
    assert db.session.scalar(select(func.count()).select_from(CaseSearch)) == 0


@pytest.mark.parametrize("common_from", [500, 1], ids=["rare-words", "common-words"])
def test_every_word_must_be_in_the_case_whole(demo_catalog, ann, monkeypatch, common_from):
    # PostgreSQL writes a search for a rare word and for a common one differently: the same cases.
    from support_community.cases import search_index

    monkeypatch.setattr(search_index, "COMMON_FROM", common_from)
    open_case(PEETERS, ann, subject="Payslips missing", description="Error 700123 in the export.")
    open_case(PEETERS, ann, subject="Login problem", description="Cannot sign in.")
    assert customer_finds(ann.sub, "payslips") == ["Payslips missing"]
    assert customer_finds(ann.sub, "700123") == ["Payslips missing"]
    assert customer_finds(ann.sub, "payslips export") == ["Payslips missing"]
    assert customer_finds(ann.sub, "pay") == []
    assert customer_finds(ann.sub, "7001") == []
    assert customer_finds(ann.sub, "payslips login") == []  # every word, in the same case
    assert customer_finds(ann.sub, "%") == []
    assert customer_finds(ann.sub, "sign-in") == ["Login problem"]


def test_an_enterprise_number_is_one_word_in_any_spelling():
    assert query_terms("BE0403.170.701") == ["0403170701"]
    assert query_terms("be 0403170701") == ["0403170701"]
    assert query_terms("0403.170.701 invoice") == ["0403170701", "invoice"]
    assert query_terms("403170701") == ["403170701"]
    assert query_terms("version 1.5 of CODA") == ["version", "1", "5", "of", "coda"]
    assert len(query_terms("a " * 50)) == 8


def test_an_agent_finds_the_organization_by_name_customer_number_or_enterprise_number(community):
    customer = make_person(sub="carla")
    agent = make_agent(sub="sam-agent")
    peeters = make_case(customer, organization_id=PEETERS["id"], organization_name="Bakkerij Peeters BV")
    janssens = make_case(
        customer, organization_id=JANSSENS["id"], organization_name="Garage Janssens NV", subject="Bank"
    )
    # What Panda's list told the community about the organizations (any person's copy).
    db.session.execute(
        update(PersonOrganization)
        .where(PersonOrganization.organization_id == uuid.UUID(PEETERS["id"]))
        .values(customer_number="100234", enterprise_number="0403.170.701", enterprise_digits="0403170701")
    )

    for q in ("bakkerij", "peeters vat", "100234", "0403.170.701", "BE0403170701", "403170701", "0403.170", "1002"):
        assert agent_finds(agent, q) == [peeters.subject], q
    assert agent_finds(agent, "garage bank") == [janssens.subject]
    # A customer's search does not look at the organization: they choose it in the list.
    assert customer_finds(customer.sub, "bakkerij") == []


def test_reindex_writes_the_same_documents_as_the_triggers(demo_catalog, ann):
    case = open_case(PEETERS, ann, subject="VAT return", description="Box 54 differs.")
    note(case, ann.sub, "Thanks, found it.", kind=MessageKind.REPLY)
    note(case, "ann", "Known defect zebracrossing")
    open_case(JANSSENS, ann, subject="Bank statements", description="CODA import stops.")
    columns = (CaseSearch.case_id, CaseSearch.customer_text, CaseSearch.agent_text, CaseSearch.language)

    def documents() -> list:
        return sorted(
            (str(case_id), sorted(str(customer).split()), sorted(str(agent).split()), language)
            for case_id, customer, agent, language in db.session.execute(select(*columns))
        )

    kept = documents()
    if is_postgres():  # the vectors alone (the texts are SQLite's)
        columns = (CaseSearch.case_id, CaseSearch.customer_vector, CaseSearch.agent_vector, CaseSearch.language)
        kept = documents()
    db.session.execute(text("DELETE FROM case_search"))
    assert customer_finds(ann.sub, "coda") == []
    assert reindex() == 2
    assert documents() == kept
    assert customer_finds(ann.sub, "coda") == ["Bank statements"]
    assert customer_finds(ann.sub, "zebracrossing") == []


@pytest.mark.skipif(not is_postgres(), reason="stemming is PostgreSQL's (SQLite's FTS5 matches words as written)")
def test_postgresql_finds_a_word_in_another_form_in_the_cases_language(community):
    dutch = make_person(sub="dutch-customer")
    dutch.locale = "nl"
    french = make_person(sub="french-customer")
    french.locale = "fr"
    agent = make_agent(sub="sam-agent")
    make_case(dutch, subject="Betalingen", description="De betalingen van maart ontbreken.")
    make_case(french, subject="Factures", description="Les factures envoyées sont refusées.")
    assert agent_finds(agent, "betaling") == ["Betalingen"]
    assert agent_finds(agent, "facture refusée") == ["Factures"]
    language = db.session.scalars(select(CaseSearch.language).order_by(CaseSearch.language)).all()
    assert language == ["fr", "nl"]


@pytest.mark.parametrize("walk_from", [2_000, 1], ids=["gathered", "walking-the-sort-index"])
def test_sorting_by_severity_and_status_breaks_ties_by_id_the_same_on_both_databases(
    demo_catalog, ann, monkeypatch, walk_from
):
    # At 1, SQLite walks the index of each sort (``INDEXED BY``): it must exist and give the same order.
    monkeypatch.setattr(listing, "WALK_FROM", walk_from)
    made = []
    for index in range(6):
        case = open_case(PEETERS, ann, subject=f"Case {index}", severity=("high", "low", "high")[index % 3])
        case.status = (Status.NEW, Status.SOLVED)[index % 2]
        made.append(case)
    db.session.flush()
    rank = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.NORMAL: 2, Severity.LOW: 1}
    order = {s: i for i, s in enumerate(Status)}

    totals = listing.status_totals(ann.sub)

    def listed(**filters) -> list[uuid.UUID]:
        chosen = CaseFilters(status=filters.pop("status", "any"), **filters)
        return [c.id for c in listing.cases_across(ann.sub, chosen, totals=totals).cases]

    by_severity = sorted(made, key=lambda c: (rank[c.severity], c.id), reverse=True)
    assert listed(sort="severity") == [c.id for c in by_severity]
    assert listed(sort="severity", direction="asc") == [c.id for c in reversed(by_severity)]
    by_status = sorted(made, key=lambda c: (order[c.status], c.id))
    assert listed(sort="status", direction="asc") == [c.id for c in by_status]
    for sort, key in (
        ("activity", lambda c: (c.last_activity_at, c.id)),
        ("created", lambda c: (c.created_at, c.id)),
        ("number", lambda c: (c.number, c.id)),
    ):
        assert listed(sort=sort) == [c.id for c in sorted(made, key=key, reverse=True)], sort
    assert listed(sort="severity", status="open") == [c.id for c in by_severity if c.status == Status.NEW]
    assert listed(sort="severity", q="case") == [c.id for c in by_severity]  # a search, checked on the way
    assert listed(sort="severity", q="case 3") == [made[3].id]


def test_community_cases_reindex_rebuilds_the_documents(community, demo_catalog, ann):
    open_case(PEETERS, ann, subject="Bank statements", description="CODA import stops.")
    db.session.execute(text("DELETE FROM case_search"))
    result = community.test_cli_runner().invoke(args=["cases", "reindex"])
    assert result.exit_code == 0, result.output
    assert "1 case(s) indexed for search." in result.output
    assert customer_finds(ann.sub, "coda") == ["Bank statements"]


def test_a_search_counts_its_cases_up_to_a_thousand_then_says_more_than(
    community_client, login, demo_catalog, monkeypatch
):
    from support_community.cases.services import listing as listing_service

    login(name="Jan Janssens", orgs=[PEETERS])
    opener = make_person(name="Piet Peeters")
    for _ in range(3):
        make_case(opener, organization_id=PEETERS["id"], organization_name=PEETERS["name"], subject="Peppol invoice")
    monkeypatch.setattr(listing_service, "SEARCH_TOTAL_MAX", 2)
    for url in ("/cases", f"/orgs/{PEETERS['id']}/cases"):
        page = community_client.get(url, query_string={"q": "peppol", "status": "any"}).get_data(as_text=True)
        assert "More than 2 cases" in page, url
        listed = community_client.get(url, query_string={"status": "any"}).get_data(as_text=True)
        assert "3 cases" in listed and "More than" not in listed  # without a search: counted up to 10,000


def test_two_messages_written_at_once_on_one_case_are_both_found(committing_community):
    """Ann replies while Sam writes an internal note on the same case: the second waits for the first's
    commit and then writes the document with both, so neither message's words are lost."""
    import threading

    from support_community.cases.models import Person, Product
    from tests.community.concurrency import someone_waits_for_a_lock

    app = committing_community
    with app.app_context():
        ann = Person(sub="ann", name="Ann", email="ann@example.test")
        sam = Person(sub="sam", name="Sam Support", email="sam@vendor.test", is_agent=True)
        product = Product(key="accounting", name_en="Accounting", name_nl="Boekhouding", name_fr="Comptabilité")
        case = Case(
            id=uuid.uuid4(),
            number="CS-2026-000001",
            organization_id=uuid.uuid4(),
            organization_name="Bakkerij Peeters BV",
            product=product,
            severity=Severity.NORMAL,
            status=Status.NEW,
            subject="VAT",
            opened_by=ann,
            created_at=utcnow(),
            last_activity_at=utcnow(),
        )
        db.session.add_all([ann, sam, product, case])
        db.session.commit()
        case_id, org_id = case.id, str(case.organization_id)
        engine = db.engine

    insert = text(
        "INSERT INTO case_messages (id, case_id, author_sub, kind, body, by_agent, created_at)"
        " VALUES (:id, :case_id, :author, :kind, :body, false, now())"
    )
    first = engine.connect()
    first_transaction = first.begin()
    first.execute(insert, {"id": uuid.uuid4(), "case_id": case_id, "author": "ann", "kind": "reply", "body": "quokka"})

    def second() -> None:
        with engine.begin() as connection:
            connection.execute(
                insert,
                {"id": uuid.uuid4(), "case_id": case_id, "author": "sam", "kind": "internal_note", "body": "wombat"},
            )

    thread = threading.Thread(target=second)
    thread.start()
    for _ in range(100):
        if someone_waits_for_a_lock(app):
            break
        thread.join(0.05)
    first_transaction.commit()
    first.close()
    thread.join(10)
    assert not thread.is_alive()

    with app.test_request_context():
        agent = db.session.get(Person, "sam")
        assert agent_finds(agent, "quokka wombat") == ["VAT"]
        assert customer_finds("ann", "quokka", org_id) == ["VAT"]
        assert customer_finds("ann", "wombat", org_id) == []
