"""Bulk changes on the queue: select, review once, confirm; all or nothing; each case audited and notified."""

from __future__ import annotations

import re
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from shared.database import utcnow
from support_community.cases.models import Case, CaseEvent, Person, Product, Severity, Status
from support_community.cases.services import bulk
from support_community.extensions import db
from support_community.outbox.models import OutboxMessage
from tests.community.concurrency import someone_waits_for_a_lock
from tests.community.factories import make_agent, make_case, make_person


def events(case, field):
    return db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.field == field).order_by(CaseEvent.created_at)
    ).all()


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_the_queue_offers_a_box_per_case_and_selects_a_whole_page(community_client, agent):
    cases = [make_case(make_person()) for _ in range(3)]
    page = community_client.get("/agent", query_string={"view": "open"}).get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" form="bulk" name="case" value="([^"]+)"[^>]*>', page)
    assert set(boxes) == {str(c.id) for c in cases}
    assert "checked" not in re.search(r'<input type="checkbox" form="bulk"[^>]*>', page).group(0)
    assert 'for="select-' in page  # every box has a label

    page = community_client.get("/agent", query_string={"view": "open", "select": "all"}).get_data(as_text=True)
    assert len(re.findall(r'form="bulk" name="case" value="[^"]+" id="[^"]+" checked', page)) == 3


def test_assigning_three_cases_is_reviewed_once_then_done_as_three_assignments(community_client, agent):
    eva = make_agent(name="Eva Claes")
    cases = [make_case(make_person()) for _ in range(3)]
    data = {"case": [str(c.id) for c in cases], "bulk_assignee": eva.sub, "back": "/agent?view=open"}

    review = community_client.post_form("/agent/bulk", data=data)
    assert review.status_code == 200
    page = review.get_data(as_text=True)
    assert "Change 3 cases?" in page and "Assigned to: Eva Claes" in page
    assert all(c.number in page for c in cases)
    assert all(c.assignee_sub is None for c in db.session.scalars(select(Case)))  # nothing yet
    mails_before = outbox_count()

    done = community_client.post_form("/agent/bulk/apply", data=data)
    assert done.status_code == 302 and done.headers["Location"] == "/agent?view=open"
    for case in cases:
        db.session.refresh(case)
        assert case.assignee_sub == eva.sub
        [event] = events(case, "assignee")
        assert (event.actor_sub, event.new_value) == (agent.sub, "Eva Claes")
    assert outbox_count() - mails_before == 3  # Eva hears of each case, as from the case page
    assert "3 cases were changed." in community_client.get("/agent").get_data(as_text=True)


def test_status_and_severity_at_once_tell_each_customer(community_client, agent):
    cases = [make_case(make_person(), status=Status.IN_PROGRESS) for _ in range(2)]
    mails_before = outbox_count()
    data = {"case": [str(c.id) for c in cases], "bulk_status": "solved", "bulk_severity": "high"}
    assert community_client.post_form("/agent/bulk/apply", data=data).status_code == 302
    for case in cases:
        db.session.refresh(case)
        assert (case.status, case.severity) == (Status.SOLVED, Severity.HIGH)
        assert case.solved_at is not None and case.next_due_at is None
        assert [e.new_value for e in events(case, "status")] == ["solved"]
        assert [e.new_value for e in events(case, "severity")] == ["high"]
    assert outbox_count() - mails_before >= 2


def test_a_tampered_selection_with_an_unknown_case_changes_nothing(community_client, agent):
    case = make_case(make_person())
    for bad in (str(uuid.uuid4()), "not-a-case"):
        data = {"case": [str(case.id), bad], "bulk_status": "in_progress"}
        response = community_client.post_form("/agent/bulk/apply", data=data)
        assert response.status_code == 302
        db.session.refresh(case)
        assert case.status == Status.NEW and events(case, "status") == []


def test_one_case_that_cannot_take_the_status_refuses_the_whole_selection(community_client, agent):
    open_one = make_case(make_person(), status=Status.IN_PROGRESS)
    solved = make_case(make_person(), status=Status.SOLVED, solved_at=utcnow())
    data = {"case": [str(open_one.id), str(solved.id)], "bulk_status": "waiting_for_customer"}
    response = community_client.post_form("/agent/bulk/apply", data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"Case {solved.number} cannot go to “Waiting for customer”" in page
    db.session.refresh(open_one)
    assert open_one.status == Status.IN_PROGRESS


def test_an_assignee_who_is_no_agent_or_no_change_at_all_is_refused(community_client, agent):
    case = make_case(make_person())
    customer = make_person()
    for data in ({"bulk_assignee": customer.sub}, {}):
        response = community_client.post_form("/agent/bulk", data={"case": [str(case.id)], **data})
        assert response.status_code == 302
    db.session.refresh(case)
    assert case.assignee_sub is None


def test_going_back_only_to_the_queue(community_client, agent):
    case = make_case(make_person())
    data = {"case": [str(case.id)], "bulk_severity": "low", "back": "https://evil.example/agent"}
    assert community_client.post_form("/agent/bulk/apply", data=data).headers["Location"] == "/agent"


def test_a_customer_cannot_change_cases_in_bulk(community_client, login):
    from tests.community.auth.fake_op import org

    login(orgs=[org("Bakkerij Peeters BV")])
    assert (
        community_client.post_form("/agent/bulk/apply", data={"case": [], "bulk_status": "closed"}).status_code == 403
    )


# -- two agents at once (PostgreSQL) -------------------------------------------------------------
def _setup(app, count: int) -> list[uuid.UUID]:
    with app.app_context():
        customer = Person(sub="customer", name="Ann", email="ann@example.test")
        sam = Person(sub="sam", name="Sam Support", email="sam@vendor.test", is_agent=True)
        eva = Person(sub="eva", name="Eva Claes", email="eva@vendor.test", is_agent=True)
        product = Product(key="accounting", name_en="Accounting", name_nl="Boekhouding", name_fr="Comptabilité")
        cases = [
            Case(
                id=uuid.uuid4(),
                number=f"CS-2026-{n:06d}",
                organization_id=uuid.uuid4(),
                organization_name="Bakkerij Peeters BV",
                product=product,
                severity=Severity.NORMAL,
                status=Status.IN_PROGRESS,
                subject="VAT",
                opened_by=customer,
                created_at=utcnow(),
                last_activity_at=utcnow(),
            )
            for n in range(1, count + 1)
        ]
        db.session.add_all([customer, sam, eva, product, *cases])
        db.session.commit()
        return [case.id for case in cases]


def _race(app, first_work, second_work):
    errors: list[BaseException] = []
    first_changed, second_waited = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with app.app_context():
                first_work()
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

    def second() -> None:
        try:
            first_changed.wait(10)
            with app.app_context():
                second_work()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert second_waited.is_set(), "the second bulk change never waited for the first one's locks"


@pytest.mark.postgres_only
def test_a_bulk_change_is_checked_against_what_another_agent_just_committed(committing_community):
    app = committing_community
    one, two, three = _setup(app, 3)
    refused: list[BaseException] = []

    def sam_solves() -> None:
        bulk.apply([one, two], bulk.BulkChange(status=Status.SOLVED), actor=db.session.get(Person, "sam"))

    def eva_asks_the_customers() -> None:  # she still saw "in progress" for two and three
        try:
            bulk.apply(
                [two, three], bulk.BulkChange(status=Status.WAITING_FOR_CUSTOMER), actor=db.session.get(Person, "eva")
            )
        except bulk.BulkChangeError as error:
            refused.append(error)
            db.session.rollback()
        else:
            db.session.commit()

    _race(app, sam_solves, eva_asks_the_customers)
    assert len(refused) == 1
    with app.app_context():
        assert [db.session.get(Case, i).status for i in (one, two, three)] == [
            Status.SOLVED,
            Status.SOLVED,
            Status.IN_PROGRESS,  # not half done: Eva's whole selection was refused
        ]


@pytest.mark.postgres_only
def test_two_bulk_assignments_of_the_same_cases_in_opposite_order_do_not_deadlock(committing_community):
    app = committing_community
    ids = _setup(app, 4)

    def sam_takes_them() -> None:
        bulk.apply(ids, bulk.BulkChange(assignee=db.session.get(Person, "sam")), actor=db.session.get(Person, "sam"))

    def eva_takes_them() -> None:
        bulk.apply(
            list(reversed(ids)),
            bulk.BulkChange(assignee=db.session.get(Person, "eva")),
            actor=db.session.get(Person, "eva"),
        )
        db.session.commit()

    _race(app, sam_takes_them, eva_takes_them)
    with app.app_context():
        assert {db.session.get(Case, i).assignee_sub for i in ids} == {"eva"}
        history = db.session.scalars(select(CaseEvent).where(CaseEvent.field == "assignee")).all()
        assert len(history) == 8  # four to Sam, then four to Eva: every change recorded
