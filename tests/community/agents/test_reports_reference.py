"""The reports' figures against a straightforward count, case by case, on a varied set of cases.

``reference`` is the report as first written: every case of the period loaded, each figure added
in a Python loop, business hours from ``BusinessCalendar.between``. The service counts in the
database and times first responses from a table; both must give the same figures.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import uuid

import pytest
from sqlalchemy import select

from support_community.cases.labels import SEVERITY_ORDER
from support_community.cases.models import Case, Person, Severity, Status
from support_community.cases.services import reports, sla
from support_community.cases.workspace_models import CaseRating
from support_community.extensions import db
from tests.community.factories import make_agent, make_case, make_person, make_product

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def reference(period: reports.Period, now: dt.datetime) -> dict:
    """The figures counted one case at a time (keyed by label), and the bars."""
    tz = reports.zone()
    start, end = period.bounds(tz)
    calendar = sla.policy().calendar
    within = lambda moment: moment is not None and start <= moment < end  # noqa: E731
    figures: dict[tuple[str, object], dict] = {}

    def add(case: Case, name: str, value: object = 1) -> None:
        for group in (
            ("all", ""),
            ("severity", case.severity.value),
            ("agent", case.assignee_sub),
            ("product", case.product_key),
            ("organization", case.organization_id),
        ):
            entry = figures.setdefault(group, {"hours": [], "label": case.organization_name})
            if name == "hours":
                entry["hours"].append(value)
            else:
                entry[name] = entry.get(name, 0) + 1

    buckets, _weekly = reports._buckets(period)
    new_bars = [0] * len(buckets)
    solved_bars = [0] * len(buckets)

    def bar(moment: dt.datetime) -> int:
        day = moment.astimezone(tz).date()
        return next(number for number, bucket in enumerate(buckets) if bucket.first <= day <= bucket.last)

    for case in db.session.scalars(select(Case)).unique():
        if within(case.created_at):
            add(case, "new")
            new_bars[bar(case.created_at)] += 1
            if case.first_responded_at is not None:
                add(case, "hours", calendar.between(case.created_at, case.first_responded_at) / 3600)
        due = case.first_response_due_at
        if due is not None and within(due):
            if case.first_responded_at is not None:
                add(case, "first_response_met" if case.first_responded_at <= due else "first_response_missed")
            elif due <= now:
                add(case, "first_response_missed")
        solved = case.solved_at
        if solved is not None and within(solved) and case.status in (Status.SOLVED, Status.CLOSED):
            add(case, "solved")
            solved_bars[bar(solved)] += 1
            if case.resolution_due_at is not None:
                add(case, "resolution_met" if solved <= case.resolution_due_at else "resolution_missed")
    for rating in db.session.scalars(select(CaseRating)):
        rated = db.session.get(Case, rating.case_id)
        if within(rating.updated_at) and rated is not None:
            add(rated, "good" if rating.rating == "good" else "bad")
    return {"figures": figures, "new": new_bars, "solved": solved_bars}


def summary(figures: reports.Figures | dict) -> tuple:
    if isinstance(figures, dict):
        hours = sorted(figures["hours"])
        counts = tuple(figures.get(name, 0) for name in reports._COUNTS + ("good", "bad"))
    else:
        hours = sorted(figures.first_response_hours)
        counts = tuple(getattr(figures, name) for name in reports._COUNTS + ("good", "bad"))
    return (*counts, hours, statistics.median(hours) if hours else None)


@pytest.fixture
def varied_cases(community):
    """Cases of August to December 2026 (across the end of summer time), some of them rated."""
    rng = random.Random(20261025)
    agents = [make_agent(name=name) for name in ("Eva Claes", "Bram Peeters", "Ines Dubois")]
    products = [make_product(), make_product("payroll", "Payroll")]
    # Twenty organizations; a few share their counts, so the busiest are chosen by name among ties.
    organizations = [(uuid.uuid4(), f"Organization {letter}") for letter in "ABCDEFGHIJKLMNOPQRST"]
    opener = make_person()
    calendar = sla.policy().calendar
    for number in range(160):
        organization_id, organization_name = organizations[min(int(rng.expovariate(0.25)), 19)]
        case = make_case(
            opener,
            organization_id=organization_id,
            organization_name=organization_name,
            severity=rng.choice(list(Severity)),
            assignee=rng.choice([*agents, None]),
            product=rng.choice(products),
            status=Status.IN_PROGRESS,
        )
        day = dt.datetime(2026, 8, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randrange(125))
        # Some late in the evening: already the next day in Brussels.
        hour = rng.choice([rng.uniform(6, 18), rng.uniform(22, 23.99)])
        case.created_at = day + dt.timedelta(hours=hour)
        case.sla_paused_since = None
        sla.case_opened(case)
        fate = number % 5
        if fate in (1, 2, 3):  # answered, early or late
            case.first_responded_at = calendar.add(case.created_at, rng.uniform(0, 30) * 3600)
        if fate in (2, 3) or number % 7 == 0:  # solved, in time or not; some reopened since
            case.solved_at = case.created_at + dt.timedelta(hours=rng.uniform(1, 24 * 20))
            case.status = rng.choice([Status.SOLVED, Status.CLOSED, Status.SOLVED, Status.IN_PROGRESS])
        if number % 4 == 0:
            rated = dt.datetime(2026, 8, 1, tzinfo=dt.UTC) + dt.timedelta(hours=rng.uniform(0, 24 * 125))
            db.session.add(
                CaseRating(
                    case_id=case.id,
                    rating=rng.choice(["good", "good", "bad"]),
                    comment="",
                    rated_by_sub=opener.sub,
                    updated_at=rated,
                )
            )
    # An organization known only by a rating in the period, of a case opened long before.
    old = make_case(opener, organization_name="Organization Z", status=Status.CLOSED)
    old.created_at = dt.datetime(2025, 6, 2, 9, tzinfo=dt.UTC)
    db.session.add(CaseRating(case_id=old.id, rating="bad", comment="", rated_by_sub=opener.sub, updated_at=NOW))
    db.session.flush()
    return agents


PERIODS = {
    "7 days": reports.Period(dt.date(2026, 11, 25), dt.date(2026, 12, 1)),
    "30 days": reports.Period(dt.date(2026, 11, 2), dt.date(2026, 12, 1)),
    "90 days": reports.Period(dt.date(2026, 9, 3), dt.date(2026, 12, 1)),
    "across the change of time": reports.Period(dt.date(2026, 10, 19), dt.date(2026, 11, 1)),
    "one day": reports.Period(dt.date(2026, 10, 25), dt.date(2026, 10, 25)),
    "a year": reports.Period(dt.date(2025, 12, 2), dt.date(2026, 12, 1)),
}


@pytest.mark.parametrize("name", list(PERIODS))
def test_the_figures_are_those_counted_case_by_case(varied_cases, name):
    period = PERIODS[name]
    expected = reference(period, NOW)
    result = reports.report(period, now=NOW)
    figures = expected["figures"]
    assert summary(result.total) == summary(figures.get(("all", ""), {"hours": []}))
    for got, severity in zip(result.by_severity, SEVERITY_ORDER, strict=True):
        assert summary(got) == summary(figures.get(("severity", severity.value), {"hours": []}))
    names = {person.sub: person.name for person in db.session.scalars(select(Person))}
    agents = {key: value for (group, key), value in figures.items() if group == "agent"}
    assert [(f.label, summary(f)) for f in result.by_agent] == sorted(
        ((names[sub] if sub else "", summary(value)) for sub, value in agents.items()),
        key=lambda item: (item[0] == "", item[0].lower()),
    )
    products = {key: value for (group, key), value in figures.items() if group == "product"}
    assert {f.label: summary(f) for f in result.by_product} == {
        {"accounting": "Accounting", "payroll": "Payroll"}[key]: summary(value) for key, value in products.items()
    }
    organizations = sorted(
        ((value["label"], summary(value)) for (group, _key), value in figures.items() if group == "organization"),
        key=lambda item: (-item[1][0], -item[1][1], item[0].lower()),
    )
    assert [(f.label, summary(f)) for f in result.by_organization] == organizations
    assert result.organizations == len(organizations)
    assert [bucket.new for bucket in result.buckets] == expected["new"]
    assert [bucket.solved for bucket in result.buckets] == expected["solved"]
    shown = reports.report(period, now=NOW, organizations=10)
    assert [(f.label, summary(f)) for f in shown.by_organization] == organizations[:10]
    assert shown.organizations == len(organizations)
    assert summary(shown.total) == summary(result.total)


def test_the_periods_hold_enough_to_compare(varied_cases):
    """The set above gives each period's figures something to count (else the comparison proves little)."""
    result = reports.report(PERIODS["90 days"], now=NOW)
    total = result.total
    assert total.new > 50 and total.solved > 10 and total.good and total.bad
    assert total.first_response_met and total.first_response_missed
    assert total.resolution_met and total.resolution_missed
    assert len(result.by_agent) == 4 and result.organizations > 10
    assert len({(f.new, f.solved) for f in result.by_organization}) < result.organizations  # ties


def test_the_business_clock_counts_as_the_calendar(community):
    """Across nights, weekends, public holidays (11 November, Christmas) and the change of time."""
    calendar = sla.policy().calendar
    rng = random.Random(11)
    first = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    clock = reports._BusinessClock(calendar, dt.date(2026, 9, 30), dt.date(2027, 1, 31))
    for _ in range(500):
        start = first + dt.timedelta(seconds=rng.uniform(0, 100 * 86400))
        end = start + dt.timedelta(seconds=rng.choice([rng.uniform(0, 86400), rng.uniform(0, 20 * 86400)]))
        assert clock.between(start, end) == calendar.between(start, end)
    assert clock.between(first, first - dt.timedelta(hours=1)) == 0.0
