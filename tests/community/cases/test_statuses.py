"""The status machine: which transitions agents and customers may make, history, timestamps, comments.

Two agents changing one case at the same moment: the second change is checked against the first.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from shared.database import utcnow
from support_community.cases.models import Case, CaseEvent, CaseMessage, MessageKind, Person, Product, Severity, Status
from support_community.cases.services import loading, statuses
from support_community.cases.services.statuses import InvalidTransitionError, ReopenWindowClosedError
from support_community.extensions import db
from tests.community.concurrency import someone_waits_for_a_lock
from tests.community.factories import make_agent, make_case, make_person

NEW, IN_PROGRESS, WAITING, SOLVED, CLOSED = (
    Status.NEW,
    Status.IN_PROGRESS,
    Status.WAITING_FOR_CUSTOMER,
    Status.SOLVED,
    Status.CLOSED,
)

AGENT_ALLOWED = {
    (NEW, IN_PROGRESS),
    (NEW, WAITING),
    (NEW, SOLVED),
    (NEW, CLOSED),
    (IN_PROGRESS, WAITING),
    (IN_PROGRESS, SOLVED),
    (IN_PROGRESS, CLOSED),
    (WAITING, IN_PROGRESS),
    (WAITING, SOLVED),
    (WAITING, CLOSED),
    (SOLVED, CLOSED),
    (SOLVED, IN_PROGRESS),
    (CLOSED, IN_PROGRESS),
}
CUSTOMER_ALLOWED = {
    (NEW, CLOSED),
    (IN_PROGRESS, CLOSED),
    (WAITING, CLOSED),
    (SOLVED, CLOSED),
    (SOLVED, IN_PROGRESS),
    (CLOSED, IN_PROGRESS),
}
EVERY_PAIR = list(itertools.product(Status, Status))


def _ids(pairs):
    return [f"{a.value}->{b.value}" for a, b in pairs]


def _finished(status: Status, ago: dt.timedelta = dt.timedelta(days=1)) -> dict:
    at = utcnow() - ago
    return {"solved_at": at if status in (SOLVED, CLOSED) else None, "closed_at": at if status == CLOSED else None}


@pytest.mark.parametrize("old,new", EVERY_PAIR, ids=_ids(EVERY_PAIR))
def test_agents_may_make_exactly_the_transitions_of_the_table(community, old, new):
    agent = make_agent()
    case = make_case(make_person(), status=old, **_finished(old))
    if (old, new) in AGENT_ALLOWED:
        statuses.change_status(case, new, actor=agent, by_agent=True)
        assert case.status == new
    else:
        with pytest.raises(InvalidTransitionError):
            statuses.change_status(case, new, actor=agent, by_agent=True)
        assert case.status == old


@pytest.mark.parametrize("old,new", EVERY_PAIR, ids=_ids(EVERY_PAIR))
def test_customers_may_only_close_and_reopen(community, old, new):
    customer = make_person()
    case = make_case(customer, status=old, **_finished(old))
    if (old, new) in CUSTOMER_ALLOWED:
        statuses.change_status(case, new, actor=customer)
        assert case.status == new
    else:
        with pytest.raises(InvalidTransitionError) as refused:
            statuses.change_status(case, new, actor=customer)
        assert refused.value.message
        assert case.status == old


def test_the_tables_of_the_service_are_the_ones_tested():
    agent = {(old, new) for old, targets in statuses.AGENT_TRANSITIONS.items() for new in targets}
    customer = {(old, new) for old, targets in statuses.CUSTOMER_TRANSITIONS.items() for new in targets}
    assert agent == AGENT_ALLOWED
    assert customer == CUSTOMER_ALLOWED


@pytest.mark.parametrize("finished", [SOLVED, CLOSED])
def test_a_customer_cannot_reopen_after_the_reopen_period(community, finished):
    community.config["CASE_REOPEN_DAYS"] = 30
    customer = make_person()
    case = make_case(customer, status=finished, **_finished(finished, dt.timedelta(days=31)))

    with pytest.raises(ReopenWindowClosedError) as refused:
        statuses.change_status(case, IN_PROGRESS, actor=customer)

    assert "30 days" in refused.value.message
    assert case.status == finished
    assert statuses.allowed_next(case, by_agent=False) == ([CLOSED] if finished == SOLVED else [])
    assert not statuses.customer_can_reopen(case)


def test_the_reopen_period_is_configurable(community):
    community.config["CASE_REOPEN_DAYS"] = 60
    try:
        customer = make_person()
        case = make_case(customer, status=CLOSED, **_finished(CLOSED, dt.timedelta(days=45)))
        assert statuses.customer_can_reopen(case)
        statuses.change_status(case, IN_PROGRESS, actor=customer)
        assert case.status == IN_PROGRESS
    finally:
        community.config["CASE_REOPEN_DAYS"] = 30


def test_a_closed_case_counts_its_period_from_the_closing(community):
    customer = make_person()
    case = make_case(
        customer, status=CLOSED, solved_at=utcnow() - dt.timedelta(days=40), closed_at=utcnow() - dt.timedelta(days=2)
    )
    assert statuses.customer_can_reopen(case)


def test_agents_may_reopen_whenever_they_want(community):
    agent = make_agent()
    case = make_case(make_person(), status=CLOSED, **_finished(CLOSED, dt.timedelta(days=400)))
    statuses.change_status(case, IN_PROGRESS, actor=agent, by_agent=True)
    assert case.status == IN_PROGRESS


def test_every_change_is_in_the_history_with_who_and_when(community):
    agent = make_agent(name="Sam Support")
    case = make_case(make_person())
    before = utcnow()

    statuses.change_status(case, IN_PROGRESS, actor=agent, by_agent=True)
    statuses.change_status(case, SOLVED, actor=agent, by_agent=True)

    events = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.field == "status")
        .order_by(CaseEvent.created_at)
    ).all()
    assert [(e.old_value, e.new_value) for e in events] == [("new", "in_progress"), ("in_progress", "solved")]
    assert all(e.actor_sub == agent.sub and e.created_at >= before for e in events)


def test_a_refused_change_leaves_no_history(community):
    customer = make_person()
    case = make_case(customer)
    with pytest.raises(InvalidTransitionError):
        statuses.change_status(case, SOLVED, actor=customer)
    assert db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all() == []


def test_solving_and_closing_are_dated_and_reopening_clears_the_dates(community):
    agent = make_agent()
    case = make_case(make_person(), last_activity_at=utcnow() - dt.timedelta(days=3))
    old_activity = case.last_activity_at

    statuses.change_status(case, SOLVED, actor=agent, by_agent=True)
    assert case.solved_at is not None and case.closed_at is None
    assert case.last_activity_at > old_activity

    statuses.change_status(case, CLOSED, actor=agent, by_agent=True)
    assert case.closed_at is not None and case.solved_at is not None

    statuses.change_status(case, IN_PROGRESS, actor=agent, by_agent=True)
    assert case.solved_at is None and case.closed_at is None


def test_a_comment_becomes_a_public_reply(community):
    customer = make_person()
    case = make_case(customer)
    statuses.change_status(case, CLOSED, actor=customer, comment="  Found it myself, thanks.  ")
    message = db.session.scalars(
        select(CaseMessage).where(CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.REPLY)
    ).one()
    assert message.body == "Found it myself, thanks."
    assert message.author_sub == customer.sub and not message.by_agent


def test_an_agent_may_keep_the_comment_internal(community):
    agent = make_agent()
    case = make_case(make_person())
    statuses.change_status(case, WAITING, actor=agent, by_agent=True, comment="Asked for the export.", internal=True)
    message = db.session.scalars(
        select(CaseMessage).where(CaseMessage.case_id == case.id, CaseMessage.kind != MessageKind.DESCRIPTION)
    ).one()
    assert message.kind == MessageKind.INTERNAL_NOTE and message.by_agent


def test_a_customer_cannot_write_an_internal_note(community):
    customer = make_person()
    case = make_case(customer)
    with pytest.raises(InvalidTransitionError):
        statuses.change_status(case, CLOSED, actor=customer, comment="psst", internal=True)
    assert case.status == NEW


def test_a_customer_reply_puts_a_waiting_case_back_in_progress(community):
    customer = make_person()
    case = make_case(customer, status=WAITING)

    event = statuses.customer_replied(case, actor=customer)

    assert case.status == IN_PROGRESS
    assert (event.field, event.old_value, event.new_value, event.actor_sub) == (
        "status",
        "waiting_for_customer",
        "in_progress",
        customer.sub,
    )


@pytest.mark.parametrize("status", [NEW, IN_PROGRESS, SOLVED, CLOSED])
def test_a_customer_reply_leaves_other_statuses_alone(community, status):
    customer = make_person()
    case = make_case(customer, status=status, **_finished(status))
    assert statuses.customer_replied(case, actor=customer) is None
    assert case.status == status


def test_the_next_statuses_are_listed_in_order(community):
    case = make_case(make_person(), status=IN_PROGRESS)
    assert statuses.allowed_next(case, by_agent=True) == [WAITING, SOLVED, CLOSED]
    assert statuses.allowed_next(case, by_agent=False) == [CLOSED]


# -- two agents at the same moment (PostgreSQL: real concurrent transactions) ----------------------
@pytest.mark.postgres_only
def test_a_status_change_is_checked_against_what_the_other_agent_just_committed(committing_community):
    app = committing_community
    with app.app_context():
        customer = Person(sub="customer", name="Ann", email="ann@example.test")
        sam = Person(sub="sam", name="Sam Support", email="sam@vendor.test", is_agent=True)
        eva = Person(sub="eva", name="Eva Claes", email="eva@vendor.test", is_agent=True)
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
            opened_by=customer,
            created_at=utcnow(),
            last_activity_at=utcnow(),
        )
        db.session.add_all([customer, sam, eva, product, case])
        db.session.commit()
        case_id = case.id

    errors: list[BaseException] = []
    refused: list[BaseException] = []
    first_changed = threading.Event()
    second_waited = threading.Event()

    def first() -> None:  # Sam solves the case and takes a moment before committing
        try:
            with app.app_context():
                locked = loading.find_any_case(case_id, for_update=True)
                statuses.change_status(locked, Status.SOLVED, actor=db.session.get(Person, "sam"), by_agent=True)
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

    def second() -> None:  # meanwhile Eva, who still saw "new", asks the customer something
        try:
            first_changed.wait(10)
            with app.app_context():
                locked = loading.find_any_case(case_id, for_update=True)
                try:
                    statuses.change_status(
                        locked, Status.WAITING_FOR_CUSTOMER, actor=db.session.get(Person, "eva"), by_agent=True
                    )
                except statuses.StatusChangeError as error:
                    refused.append(error)
                    db.session.rollback()
                else:
                    db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert not errors, errors
    assert second_waited.is_set(), "the second agent's change never waited for the case's lock"
    assert len(refused) == 1  # solved → waiting for customer is not a transition
    with app.app_context():
        assert db.session.get(Case, case_id).status == Status.SOLVED
        history = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()
        assert [(e.old_value, e.new_value, e.actor_sub) for e in history] == [("new", "solved", "sam")]
