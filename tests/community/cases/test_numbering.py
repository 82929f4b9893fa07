"""Case numbers: CS-<year>-<6 digits>, unique, counted per year, distinct under concurrent creation."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from support_community.cases.models import CaseCounter
from support_community.cases.services import numbering
from support_community.extensions import db
from tests.community.concurrency import someone_waits_for_a_lock

UTC = dt.UTC


def test_numbers_count_up_per_year(community):
    january = dt.datetime(2026, 1, 15, 10, tzinfo=UTC)
    assert numbering.next_case_number(january) == "CS-2026-000001"
    assert numbering.next_case_number(january) == "CS-2026-000002"
    assert numbering.next_case_number(dt.datetime(2027, 3, 1, tzinfo=UTC)) == "CS-2027-000001"
    assert numbering.next_case_number(january) == "CS-2026-000003"
    assert db.session.get(CaseCounter, 2026).last_number == 3


def test_the_year_is_the_year_in_brussels(community):
    new_years_eve = dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 2027 in Brussels
    assert numbering.case_year(new_years_eve) == 2027
    assert numbering.next_case_number(new_years_eve).startswith("CS-2027-")


def test_a_busy_year_keeps_counting_past_six_digits(community):
    db.session.add(CaseCounter(year=2030, last_number=999_999))
    db.session.flush()
    assert numbering.next_case_number(dt.datetime(2030, 6, 1, tzinfo=UTC)) == "CS-2030-1000000"


# -- two real transactions at once (PostgreSQL) ---------------------------------------------------
def _two_at_once(app, year_start: dt.datetime) -> list[str]:
    """Two transactions take a number; the first holds its lock until the second is provably waiting."""
    numbers: list[str] = []
    errors: list[BaseException] = []
    first_has_number = threading.Event()
    second_waited = threading.Event()

    def first() -> None:
        try:
            with app.app_context():
                numbers.append(numbering.next_case_number(year_start))
                first_has_number.set()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if someone_waits_for_a_lock(app):
                        second_waited.set()
                        break
                    time.sleep(0.02)
                db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)
            first_has_number.set()

    def second() -> None:
        try:
            first_has_number.wait(10)
            with app.app_context():
                numbers.append(numbering.next_case_number(year_start))
                db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    assert second_waited.is_set(), "the second transaction never waited for the counter's lock"
    return numbers


@pytest.mark.postgres_only
def test_two_cases_opened_at_the_same_moment_get_different_numbers(committing_community):
    app = committing_community
    with app.app_context():
        numbering.next_case_number(dt.datetime(2026, 5, 1, tzinfo=UTC))
        db.session.commit()
    numbers = _two_at_once(app, dt.datetime(2026, 5, 2, tzinfo=UTC))
    assert sorted(numbers) == ["CS-2026-000002", "CS-2026-000003"]


@pytest.mark.postgres_only
def test_the_first_two_cases_of_a_new_year_get_different_numbers(committing_community):
    numbers = _two_at_once(committing_community, dt.datetime(2031, 1, 2, tzinfo=UTC))
    assert sorted(numbers) == ["CS-2031-000001", "CS-2031-000002"]
