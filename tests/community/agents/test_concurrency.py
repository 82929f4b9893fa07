"""Two agents changing the same case at the same moment (PostgreSQL: real concurrent transactions)."""
from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from shared.database import utcnow
from support_community.agents import services
from support_community.cases.models import Case, CaseEvent, Person, Product, Severity, Status
from support_community.cases.services import statuses
from support_community.extensions import db
from tests.support import drop_database, is_postgres, make_database


@pytest.fixture()
def app(smtp_sink) -> Iterator:
    if not is_postgres():
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): SQLite has one writer at a time, "
                    "so two transactions cannot overlap there")
    from support_community import create_app

    url = make_database("agents", tempfile.gettempdir())
    app = create_app({
        "TESTING": True, "APP_ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": "concurrency-test",
        "MAIL_SERVER": smtp_sink.host, "MAIL_PORT": smtp_sink.port, "COMMUNITY_CLIENT_SECRET": "x",
        "PANDA_ISSUER": "http://panda.test", "COMMUNITY_URL": "http://community.test",
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        db.create_all()
    yield app
    db.state(app).engine.dispose()
    drop_database(url)


def _someone_waits_for_a_lock(app) -> bool:
    with db.state(app).engine.connect() as conn:
        return bool(conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar())


@pytest.mark.postgres_only
def test_a_status_change_is_checked_against_what_the_other_agent_just_committed(app):
    with app.app_context():
        customer = Person(sub="customer", name="Ann", email="ann@example.test")
        sam = Person(sub="sam", name="Sam Support", email="sam@vendor.test", is_agent=True)
        eva = Person(sub="eva", name="Eva Claes", email="eva@vendor.test", is_agent=True)
        product = Product(key="accounting", name_en="Accounting", name_nl="Boekhouding", name_fr="Comptabilité")
        case = Case(id=uuid.uuid4(), number="CS-2026-000001", organization_id=uuid.uuid4(),
                    organization_name="Bakkerij Peeters BV", product=product, severity=Severity.NORMAL,
                    status=Status.NEW, subject="VAT", opened_by=customer, created_at=utcnow(),
                    last_activity_at=utcnow())
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
                locked = services.find_case(case_id, for_update=True)
                statuses.change_status(locked, Status.SOLVED, actor=db.session.get(Person, "sam"), by_agent=True)
                first_changed.set()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if _someone_waits_for_a_lock(app):
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
                locked = services.find_case(case_id, for_update=True)
                try:
                    statuses.change_status(locked, Status.WAITING_FOR_CUSTOMER,
                                           actor=db.session.get(Person, "eva"), by_agent=True)
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
