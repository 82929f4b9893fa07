"""The counts of cases per organization and status behind the lists' totals stay exact.

The database keeps them (triggers on ``cases``) as cases are opened, change status, are
written in bulk or deleted; ``community cases recount`` rebuilds them from the cases; two
agents changing two cases of one organization at the same moment both count.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import delete, func, insert, select, update

from shared.database import utcnow
from support_community.cases.models import Case, CaseStatusCount, Person, Product, Severity, Status
from support_community.cases.services import conversation, listing, loading, statuses
from support_community.cases.services.status_counts import recount
from support_community.extensions import db
from tests.community.concurrency import someone_waits_for_a_lock
from tests.community.factories import JANSSENS, PEETERS, acting_as, make_agent, make_case, make_person, open_case

NEW, IN_PROGRESS, WAITING, SOLVED, CLOSED = (
    Status.NEW,
    Status.IN_PROGRESS,
    Status.WAITING_FOR_CUSTOMER,
    Status.SOLVED,
    Status.CLOSED,
)


def counted(org: dict | uuid.UUID) -> dict[Status, int]:
    """The kept counts of one organization (statuses with no case left out)."""
    org_id = org if isinstance(org, uuid.UUID) else uuid.UUID(org["id"])
    rows = db.session.execute(
        select(CaseStatusCount.status, CaseStatusCount.total).where(CaseStatusCount.organization_id == org_id)
    )
    return {Status(status): total for status, total in rows if total}


def counted_from_the_cases(org: dict) -> dict[Status, int]:
    return {
        Status(status): number
        for status, number in db.session.execute(
            select(Case.status, func.count()).where(Case.organization_id == uuid.UUID(org["id"])).group_by(Case.status)
        )
    }


@pytest.fixture()
def ann(community, login, demo_catalog):
    return acting_as(login(name="Ann Accountant", orgs=[PEETERS, JANSSENS]))


def test_opening_closing_and_reopening_cases_keeps_the_counts_right(ann):
    sam = make_agent()
    first = open_case(PEETERS, ann)
    second = open_case(PEETERS, ann)
    open_case(JANSSENS, ann)
    assert counted(PEETERS) == {NEW: 2}
    assert counted(JANSSENS) == {NEW: 1}

    statuses.change_status(first, IN_PROGRESS, actor=sam, by_agent=True)
    statuses.change_status(second, WAITING, actor=sam, by_agent=True, comment="Which bank?")
    assert counted(PEETERS) == {IN_PROGRESS: 1, WAITING: 1}

    conversation.customer_reply(second, actor=ann, body="KBC.")  # back in progress
    statuses.change_status(first, SOLVED, actor=sam, by_agent=True)
    assert counted(PEETERS) == {IN_PROGRESS: 1, SOLVED: 1}

    conversation.close(first, actor=ann)
    conversation.close(second, actor=ann)
    assert counted(PEETERS) == {CLOSED: 2}

    conversation.reopen(first, actor=ann)
    assert counted(PEETERS) == {IN_PROGRESS: 1, CLOSED: 1} == counted_from_the_cases(PEETERS)
    assert counted(JANSSENS) == {NEW: 1} == counted_from_the_cases(JANSSENS)
    assert listing.status_totals(ann.sub) == {NEW: 1, IN_PROGRESS: 1, WAITING: 0, SOLVED: 0, CLOSED: 1}
    assert listing.status_totals(ann.sub, uuid.UUID(PEETERS["id"]))[CLOSED] == 1


def test_a_case_moved_to_another_organization_counts_there(ann):
    case = open_case(PEETERS, ann)
    case.organization_id = uuid.UUID(JANSSENS["id"])
    db.session.flush()
    assert counted(PEETERS) == {}
    assert counted(JANSSENS) == {NEW: 1}


def test_cases_written_in_bulk_and_deleted_are_counted_too(ann):
    now = utcnow()
    db.session.execute(
        insert(Case),
        [
            {
                "id": uuid.uuid4(),
                "number": f"CS-2001-{n:06d}",
                "organization_id": uuid.UUID(PEETERS["id"]),
                "organization_name": PEETERS["name"],
                "product_key": "accounting",
                "severity": Severity.NORMAL,
                "status": SOLVED if n % 3 == 0 else NEW,
                "subject": f"Question {n}",
                "opened_by_sub": ann.sub,
                "created_at": now,
                "last_activity_at": now,
            }
            for n in range(9)
        ],
    )
    assert counted(PEETERS) == {NEW: 6, SOLVED: 3}
    db.session.execute(
        update(Case).where(Case.organization_id == uuid.UUID(PEETERS["id"]), Case.status == NEW).values(status=CLOSED)
    )
    db.session.execute(delete(Case).where(Case.organization_id == uuid.UUID(PEETERS["id"]), Case.status == SOLVED))
    assert counted(PEETERS) == {CLOSED: 6} == counted_from_the_cases(PEETERS)


def test_recount_rebuilds_the_counts_from_the_cases(ann):
    open_case(PEETERS, ann)
    closed = open_case(PEETERS, ann)
    conversation.close(closed, actor=ann)
    open_case(JANSSENS, ann)
    assert recount().corrected == 0  # nothing to correct: the triggers kept them

    db.session.execute(update(CaseStatusCount).values(total=CaseStatusCount.total + 5))  # spoiled counts
    db.session.execute(delete(CaseStatusCount).where(CaseStatusCount.organization_id == uuid.UUID(JANSSENS["id"])))
    report = recount()
    assert counted(PEETERS) == {NEW: 1, CLOSED: 1}
    assert counted(JANSSENS) == {NEW: 1}
    assert (report.cases, report.corrected) == (3, 3)
    assert report.organizations == 2


def test_the_lists_show_the_counts_kept(community_client, ann):
    for _ in range(2):
        open_case(PEETERS, ann)
    conversation.close(open_case(JANSSENS, ann), actor=ann)
    # A count the cases do not show, to tell that the page reads the counts (what recount is for).
    db.session.execute(
        update(CaseStatusCount)
        .where(CaseStatusCount.organization_id == uuid.UUID(PEETERS["id"]), CaseStatusCount.status == NEW)
        .values(total=7)
    )
    page = community_client.get("/cases").get_data(as_text=True)
    totals = page.split('class="status-totals"', 1)[1].split("</nav>", 1)[0]
    assert "Open: <strong>7</strong>" in totals and "Closed: <strong>1</strong>" in totals

    recount()
    page = community_client.get(f"/orgs/{PEETERS['id']}/cases").get_data(as_text=True)
    totals = page.split('class="status-totals"', 1)[1].split("</nav>", 1)[0]
    assert "Open: <strong>2</strong>" in totals


def test_the_counts_of_someone_elses_organization_are_not_in_the_totals(ann):
    make_case(make_person(), organization_id=uuid.uuid4(), status=NEW)
    open_case(PEETERS, ann)
    assert sum(listing.status_totals(ann.sub).values()) == 1


def test_community_cases_recount_says_what_it_corrected(community, ann):
    open_case(PEETERS, ann)
    db.session.execute(delete(CaseStatusCount))
    result = community.test_cli_runner().invoke(args=["cases", "recount"])
    assert result.exit_code == 0, result.output
    assert "1 case(s) of 1 organization(s) counted; 1 count(s) corrected." in result.output
    assert counted(PEETERS) == {NEW: 1}


def test_community_cases_recount_also_rebuilds_the_agents_queue_counts(community, ann):
    from support_community.cases.models import CaseQueueCount

    open_case(PEETERS, ann)
    db.session.execute(delete(CaseQueueCount))
    result = community.test_cli_runner().invoke(args=["cases", "recount"])
    assert result.exit_code == 0, result.output
    assert "1 count(s) corrected." in result.output
    assert [(row.assignee_sub, row.status, row.total) for row in db.session.scalars(select(CaseQueueCount))] == [
        ("", NEW, 1)
    ]


# -- two agents at the same moment (PostgreSQL: real concurrent transactions) ----------------------
@pytest.mark.postgres_only
def test_two_opposite_status_changes_at_once_in_one_organization_both_count(committing_community):
    """Sam sends one case back to the customer while Eva takes another back into work: each change
    moves a case between the same two counts, in opposite directions. Eva's change waits for Sam's
    commit on the counts and then adds to them: neither change is lost."""
    app = committing_community
    org_id = uuid.uuid4()
    with app.app_context():
        customer = Person(sub="customer", name="Ann", email="ann@example.test")
        sam = Person(sub="sam", name="Sam Support", email="sam@vendor.test", is_agent=True)
        eva = Person(sub="eva", name="Eva Claes", email="eva@vendor.test", is_agent=True)
        product = Product(key="accounting", name_en="Accounting", name_nl="Boekhouding", name_fr="Comptabilité")
        cases = [
            Case(
                id=uuid.uuid4(),
                number=f"CS-2026-00000{n}",
                organization_id=org_id,
                organization_name="Bakkerij Peeters BV",
                product=product,
                severity=Severity.NORMAL,
                status=status,
                subject="VAT",
                opened_by=customer,
                created_at=utcnow(),
                last_activity_at=utcnow(),
            )
            for n, status in enumerate((IN_PROGRESS, WAITING, IN_PROGRESS, WAITING))
        ]
        db.session.add_all([customer, sam, eva, product, *cases])
        db.session.commit()
        to_waiting, to_progress = cases[0].id, cases[1].id
        assert counted(org_id) == {IN_PROGRESS: 2, WAITING: 2}

    errors: list[BaseException] = []
    first_changed = threading.Event()
    second_waited = threading.Event()

    def first() -> None:  # Sam asks the customer something and takes a moment before committing
        try:
            with app.app_context():
                case = loading.find_any_case(to_waiting, for_update=True)
                statuses.change_status(case, WAITING, actor=db.session.get(Person, "sam"), by_agent=True)
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

    def second() -> None:  # meanwhile Eva takes the other case back into work
        try:
            first_changed.wait(10)
            with app.app_context():
                case = loading.find_any_case(to_progress, for_update=True)
                statuses.change_status(case, IN_PROGRESS, actor=db.session.get(Person, "eva"), by_agent=True)
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
        assert counted(org_id) == {IN_PROGRESS: 2, WAITING: 2}
        assert db.session.get(Case, to_waiting).status == WAITING
        assert db.session.get(Case, to_progress).status == IN_PROGRESS
