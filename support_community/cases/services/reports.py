"""Reports for agents: what came in and what was solved over a period, how fast, within the targets, how well.

For a period of days (in the service's time zone, ``TIMEZONE``):

- *new*: cases opened in the period; *solved*: cases solved in the period (and still solved or closed);
- *median first response*: business hours from opening to the first public agent reply, for the
  cases opened in the period that got one;
- *SLA attainment*: the share of first responses due in the period that came in time (one still
  awaited past its due time counts as missed), and of the cases solved in the period that were
  solved by their resolution due time;
- *satisfaction*: the share of "good" among the ratings given or changed in the period.

The same figures per severity and per agent (the case's assignee), and the new and solved
cases per day (per week for long periods) for the chart. Also per product and per organization
(the page shows the busiest organizations, the CSV every one).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select

from shared.database import utcnow
from support_community.cases.labels import SEVERITY_ORDER
from support_community.cases.models import Case, Person, Product, Status
from support_community.cases.services import sla
from support_community.cases.workspace_models import CaseRating
from support_community.extensions import db

PRESETS = (7, 30, 90)
LONGEST_DAYS = 366


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # included

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.first, dt.time(), tzinfo=zone).astimezone(dt.UTC)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.UTC)
        return start, end


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Brussels")


def today() -> dt.date:
    return utcnow().astimezone(zone()).date()


def period_of(days: int | None = None, first: dt.date | None = None, last: dt.date | None = None) -> Period:
    """The last ``days`` days up to today, or the dates given (kept in order, at most a year)."""
    if first is not None and last is not None:
        if last < first:
            first, last = last, first
        if (last - first).days >= LONGEST_DAYS:
            first = last - dt.timedelta(days=LONGEST_DAYS - 1)
        return Period(first, last)
    end = today()
    return Period(end - dt.timedelta(days=(days or 30) - 1), end)


@dataclass
class Figures:
    """The report's figures for some of the cases (all, one severity, one agent)."""

    label: str = ""
    new: int = 0
    solved: int = 0
    first_response_hours: list[float] = field(default_factory=list)
    first_response_met: int = 0
    first_response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0
    good: int = 0
    bad: int = 0

    @property
    def median_first_response(self) -> float | None:
        return statistics.median(self.first_response_hours) if self.first_response_hours else None

    @staticmethod
    def _share(met: int, missed: int) -> float | None:
        return met / (met + missed) if met + missed else None

    @property
    def first_response_attainment(self) -> float | None:
        return self._share(self.first_response_met, self.first_response_missed)

    @property
    def resolution_attainment(self) -> float | None:
        return self._share(self.resolution_met, self.resolution_missed)

    @property
    def satisfaction(self) -> float | None:
        return self._share(self.good, self.bad)

    @property
    def ratings(self) -> int:
        return self.good + self.bad


@dataclass
class Bucket:
    """One bar pair of the chart: the new and solved cases of a day or a week."""

    first: dt.date
    last: dt.date
    new: int = 0
    solved: int = 0


@dataclass
class Report:
    period: Period
    total: Figures
    by_severity: list[Figures]
    by_agent: list[Figures]
    by_product: list[Figures]
    by_organization: list[Figures]  # the busiest first
    buckets: list[Bucket]
    weekly: bool


def _buckets(period: Period) -> tuple[list[Bucket], bool]:
    weekly = period.days > 31
    step = 7 if weekly else 1
    start = period.first - dt.timedelta(days=period.first.weekday()) if weekly else period.first
    buckets = []
    day = start
    while day <= period.last:
        buckets.append(Bucket(first=max(day, period.first), last=min(day + dt.timedelta(days=step - 1), period.last)))
        day += dt.timedelta(days=step)
    return buckets, weekly


def _within(moment: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> bool:
    return moment is not None and start <= moment < end


def report(period: Period, *, language: str = "en", now: dt.datetime | None = None) -> Report:
    """The figures of ``period`` (four queries: cases, ratings, agents' names, products)."""
    now = now or utcnow()
    tz = zone()
    start, end = period.bounds(tz)
    calendar = sla.policy().calendar
    cases = list(
        db.session.scalars(
            select(Case).where(
                or_(
                    Case.created_at.between(start, end),
                    Case.solved_at.between(start, end),
                    Case.first_response_due_at.between(start, end),
                )
            )
        ).unique()
    )
    ratings = list(
        db.session.execute(
            select(
                CaseRating.rating,
                Case.severity,
                Case.assignee_sub,
                Case.product_key,
                Case.organization_id,
                Case.organization_name,
            )
            .join(Case, Case.id == CaseRating.case_id)
            .where(CaseRating.updated_at >= start, CaseRating.updated_at < end)
        )
    )
    total = Figures()
    by_severity = {severity: Figures(label=severity.value) for severity in SEVERITY_ORDER}
    by_agent: dict[str | None, Figures] = {}
    by_product: dict[str, Figures] = {}
    by_organization: dict[object, Figures] = {}
    buckets, weekly = _buckets(period)

    def groups(
        severity: object, assignee: str | None, product: str, organization: object, organization_name: str
    ) -> Iterable[Figures]:
        yield total
        yield by_severity[severity]  # type: ignore[index]
        yield by_agent.setdefault(assignee, Figures(label=assignee or ""))
        yield by_product.setdefault(product, Figures(label=product))
        yield by_organization.setdefault(organization, Figures(label=organization_name))

    def bucket_of(moment: dt.datetime) -> Bucket | None:
        day = moment.astimezone(tz).date()
        for bucket in buckets:
            if bucket.first <= day <= bucket.last:
                return bucket
        return None

    def add(case: Case, change: Callable[[Figures], None]) -> None:
        for figures in groups(
            case.severity, case.assignee_sub, case.product_key, case.organization_id, case.organization_name
        ):
            change(figures)

    for case in cases:
        if _within(case.created_at, start, end):
            add(case, lambda f: setattr(f, "new", f.new + 1))
            if (bucket := bucket_of(case.created_at)) is not None:
                bucket.new += 1
            if case.first_responded_at is not None:
                hours = calendar.between(case.created_at, case.first_responded_at) / 3600
                add(case, partial(_took, hours=hours))
        due = case.first_response_due_at
        if _within(due, start, end) and due is not None:
            if case.first_responded_at is not None:
                met = case.first_responded_at <= due
                add(case, partial(_count, what="first_response", met=met))
            elif due <= now:
                add(case, partial(_count, what="first_response", met=False))
        if _within(case.solved_at, start, end) and case.status in (Status.SOLVED, Status.CLOSED):
            add(case, lambda f: setattr(f, "solved", f.solved + 1))
            if case.solved_at is not None and (bucket := bucket_of(case.solved_at)) is not None:
                bucket.solved += 1
            if case.resolution_due_at is not None and case.solved_at is not None:
                met = case.solved_at <= case.resolution_due_at
                add(case, partial(_count, what="resolution", met=met))
    for rating, severity, assignee, product, organization, organization_name in ratings:
        for figures in groups(severity, assignee, product, organization, organization_name):
            if rating == "good":
                figures.good += 1
            else:
                figures.bad += 1

    people = db.session.scalars(select(Person).where(Person.sub.in_([sub for sub in by_agent if sub])))
    names = {person.sub: person.name for person in people}
    agents = sorted(by_agent.values(), key=lambda f: (f.label == "", names.get(f.label, "").lower()))
    for figures in agents:
        figures.label = names.get(figures.label, "") if figures.label else ""
    products = {p.key: p for p in db.session.scalars(select(Product).where(Product.key.in_(list(by_product))))}
    for key, figures in by_product.items():
        figures.label = products[key].name(language) if key in products else key
    return Report(
        period=period,
        total=total,
        by_severity=[by_severity[severity] for severity in SEVERITY_ORDER],
        by_agent=agents,
        by_product=sorted(by_product.values(), key=lambda f: f.label.lower()),
        by_organization=sorted(by_organization.values(), key=lambda f: (-f.new, -f.solved, f.label.lower())),
        buckets=buckets,
        weekly=weekly,
    )


def _took(figures: Figures, *, hours: float) -> None:
    figures.first_response_hours.append(hours)


def _count(figures: Figures, *, what: str, met: bool) -> None:
    name = f"{what}_{'met' if met else 'missed'}"
    setattr(figures, name, getattr(figures, name) + 1)
