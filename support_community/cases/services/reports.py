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

A million cases stay quick to report on: the database counts per group and per bar, reading the
cases of the period through an index on each of their three dates (the opened ones from
``ix_cases_report_opened`` alone). Only small tuples come back one by one: the organization of
each case opened in the period (counted here, to pick the busiest), the first responses (their
business hours, counted from a table of working hours, make the medians) and the ratings.
"""

from __future__ import annotations

import datetime as dt
import heapq
import statistics
import uuid
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    String,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute

from shared.database import utcnow
from support_community.cases.business_hours import BusinessCalendar
from support_community.cases.labels import SEVERITY_ORDER
from support_community.cases.models import Case, Person, Product, Severity, Status
from support_community.cases.services import sla
from support_community.cases.services.listing import organization_among
from support_community.cases.workspace_models import CaseRating
from support_community.extensions import db

PRESETS = (7, 30, 90)
# The organization as text, a key for counting: no UUID made per case (PostgreSQL's driver would).
_ORGANIZATION = cast(Case.organization_id, String)
_Moment = InstrumentedAttribute[dt.datetime] | InstrumentedAttribute[dt.datetime | None]
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
    by_organization: list[Figures]  # the busiest first (those asked for)
    organizations: int  # how many organizations have figures in the period
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


class _BusinessClock:
    """``calendar.between`` for many pairs of moments: the business time before each moment, from a table.

    The table holds each business day's working window (as ``BusinessCalendar`` lays it out) and the
    business time of the windows before it, from ``first`` to ``last``; the business time between two
    moments of those days is then the difference of two look-ups, exact to the microsecond as the
    calendar's own day-by-day sum. A span the calendar would cut short (three years) is left to it.
    """

    def __init__(self, calendar: BusinessCalendar, first: dt.date, last: dt.date) -> None:
        self.calendar = calendar
        self.first, self.last = first, last
        self.opens: list[dt.datetime] = []
        self.lengths: list[dt.timedelta] = []
        self.before: list[dt.timedelta] = []
        total = dt.timedelta()
        day = first
        while day <= last:
            if calendar.is_business_day(day):
                opens = dt.datetime.combine(day, calendar.start, tzinfo=calendar.zone).astimezone(dt.UTC)
                closes = dt.datetime.combine(day, calendar.end, tzinfo=calendar.zone).astimezone(dt.UTC)
                self.opens.append(opens)
                self.lengths.append(max(closes - opens, dt.timedelta()))
                self.before.append(total)
                total += self.lengths[-1]
            day += dt.timedelta(days=1)

    def _until(self, moment: dt.datetime) -> dt.timedelta:
        at = bisect_right(self.opens, moment) - 1
        if at < 0:
            return dt.timedelta()
        return self.before[at] + min(moment - self.opens[at], self.lengths[at])

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds from ``start`` to ``end``, as ``BusinessCalendar.between`` counts them."""
        if end <= start:
            return 0.0
        if (end - start).days >= _CLOCK_SPAN_DAYS:
            return self.calendar.between(start, end)
        return (self._until(end) - self._until(start)).total_seconds()


# Beyond this span the calendar's own count stops early (``business_hours._SEARCH_DAYS``, less a margin).
_CLOCK_SPAN_DAYS = 3 * 366 - 2


# The counts each case adds to its groups, in this order.
_COUNTS = ("new", "solved", "first_response_met", "first_response_missed", "resolution_met", "resolution_missed")


def _add_counts(figures: Figures, counts: Sequence[int]) -> None:
    for name, count in zip(_COUNTS, counts, strict=True):
        setattr(figures, name, getattr(figures, name) + int(count))


def _figures(label: str, counts: Sequence[int]) -> Figures:
    new, solved, first_response_met, first_response_missed, resolution_met, resolution_missed = counts
    return Figures(
        label=label,
        new=new,
        solved=solved,
        first_response_met=first_response_met,
        first_response_missed=first_response_missed,
        resolution_met=resolution_met,
        resolution_missed=resolution_missed,
    )


def _rate(figures: Figures, rating: str) -> None:
    if rating == "good":
        figures.good += 1
    else:
        figures.bad += 1


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _contributions(start: dt.datetime, end: dt.datetime, now: dt.datetime, *keys: Any, opened: bool = True) -> Subquery:
    """What each case adds to the counts of its groups (``keys``): one row per case and date in the period.

    Each date (opened, solved, first response due) is a range read of its own index, the three
    put together with ``UNION ALL``: the counts are sums, so a case found by two dates adds each
    count once, from the row of the date that decides it.
    """
    solved = Case.status.in_((Status.SOLVED, Status.CLOSED))
    responded, due = Case.first_responded_at, Case.first_response_due_at

    def counts(**flags: ColumnElement[bool]) -> list[ColumnElement[int]]:
        return [(_flag(flags[name]) if name in flags else literal(0)).label(name) for name in _COUNTS]

    new = select(*keys, *counts(new=true())).where(Case.created_at >= start, Case.created_at < end)
    closed = select(
        *keys,
        *counts(
            solved=solved,
            resolution_met=and_(solved, Case.solved_at <= Case.resolution_due_at),
            resolution_missed=and_(solved, Case.solved_at > Case.resolution_due_at),
        ),
    ).where(Case.solved_at >= start, Case.solved_at < end)
    answered = select(
        *keys,
        *counts(
            first_response_met=responded <= due,
            first_response_missed=or_(responded > due, and_(responded.is_(None), due <= now)),
        ),
    ).where(due >= start, due < end)
    return (union_all(new, closed, answered) if opened else union_all(closed, answered)).subquery()


def _summed(contributions: Subquery, keys: int) -> tuple[ColumnElement[Any], ...]:
    """The key columns of ``contributions`` and the sums of its counts."""
    columns = list(contributions.c)
    return (*columns[:keys], *(func.sum(column) for column in columns[keys:]))


def report(
    period: Period, *, language: str = "en", now: dt.datetime | None = None, organizations: int | None = None
) -> Report:
    """The figures of ``period``; of the organizations, the ``organizations`` busiest (all when ``None``).

    ``organizations`` is how many of the busiest organizations to give (the page shows a few): their
    figures are made, and their names read, for those only; ``Report.organizations`` still counts
    every organization with figures in the period.
    """
    now = now or utcnow()
    tz = zone()
    start, end = period.bounds(tz)
    buckets, weekly = _buckets(period)
    organization = _ORGANIZATION

    total = Figures()
    by_severity = {severity: Figures(label=severity.value) for severity in SEVERITY_ORDER}
    by_agent: dict[str | None, Figures] = {}
    by_product: dict[str, Figures] = {}

    def groups(severity: Severity, assignee: str | None, product: str) -> tuple[Figures, ...]:
        return (
            total,
            by_severity[severity],
            by_agent.setdefault(assignee, Figures(label=assignee or "")),
            by_product.setdefault(product, Figures(label=product)),
        )

    # The cases opened in the period are read from ``ix_cases_report_opened`` alone; the other
    # dates' counts are summed from ``_contributions``.
    connection = db.session.connection()
    opened_in_period = and_(Case.created_at >= start, Case.created_at < end)
    keys = (type_coerce(Case.severity, String), Case.assignee_sub, Case.product_key)
    opened_groups = select(*keys, _bucket_of(Case.created_at, buckets, tz).label("bucket")).where(opened_in_period)
    grouped = opened_groups.subquery()
    for row in connection.execute(select(*grouped.c, func.count()).group_by(*grouped.c)):
        severity, assignee, product, number, count = tuple(row)
        buckets[number].new += count
        for figures in groups(Severity(severity), assignee, product):
            figures.new += count
    per_group = _contributions(start, end, now, *keys, opened=False)
    for severity, assignee, product, *numbers in connection.execute(
        select(*_summed(per_group, 3)).group_by(*list(per_group.c)[:3])
    ):
        if any(numbers):
            for figures in groups(Severity(severity), assignee, product):
                _add_counts(figures, numbers)

    # Per organization: its counts (a figure is made only for those shown) and its name. The
    # opened cases are counted here, one string each (a GROUP BY would sort them and send back
    # about as many rows); strings all, the driver's own rows will do.
    result = connection.execute(
        select(organization, *([Case.organization_name] if organizations is None else [])).where(opened_in_period)
    )
    opened: Sequence[Any] = result.cursor.fetchall()
    result.close()
    opened_of = Counter(map(itemgetter(0), opened))
    later_of: dict[object, tuple[int, ...]] = {}
    names: dict[object, str] = {}
    named = organizations is None
    later = _contributions(start, end, now, organization, *([Case.organization_name] if named else []), opened=False)
    for key, *rest in connection.execute(
        select(
            later.c[0], *([func.max(later.c[1])] if named else []), *_summed(later, 1 + named)[1 + named :]
        ).group_by(later.c[0])
    ):
        if any(rest[named:]):
            later_of[key] = tuple(int(number) for number in rest[named:])
            if named:
                names[key] = rest[0]
    counted = len(opened_of) + sum(1 for key in later_of if key not in opened_of)
    nothing_later = (0,) * len(_COUNTS)

    def counts_of(key: object) -> tuple[int, ...]:
        new, *others = later_of.get(key, nothing_later)
        return (new + opened_of.get(key, 0), *others)

    if organizations is None:
        names.update(opened)
        candidates = opened_of.keys() | later_of.keys()
    else:
        # Those that could be among the busiest (ties included): their names decide the order.
        # The opened and solved cases of those with later counts (a few), the opened cases of the rest.
        pairs = {key: counts_of(key)[:2] for key in later_of}
        how_many = Counter(opened_of.values())  # organizations per number of opened cases
        how_many.subtract(opened_of[key] for key in later_of if key in opened_of)
        leaders = heapq.nlargest(organizations, pairs.values())
        for count in sorted(how_many, reverse=True):
            if len(leaders) >= organizations and (count, 0) < leaders[-1]:
                break
            leaders = heapq.nlargest(organizations, [*leaders, *[(count, 0)] * min(how_many[count], organizations)])
        if organizations > 0 and len(leaders) == organizations:
            least, least_solved = leaders[-1]
            fewest = least + 1 if least_solved > 0 else least  # without solved cases, more opened ones
            candidates = {key for key, count in opened_of.items() if count >= fewest and key not in later_of}
            candidates |= {key for key, pair in pairs.items() if pair >= leaders[-1]}
        else:
            candidates = opened_of.keys() | later_of.keys()
        names = _organization_names(list(candidates), start, end)
    found = {key: (names.get(key, ""), counts_of(key)) for key in candidates}

    ratings = list(
        db.session.execute(
            select(
                CaseRating.rating,
                Case.severity,
                Case.assignee_sub,
                Case.product_key,
                organization,
                Case.organization_name,
            )
            .join(Case, Case.id == CaseRating.case_id)
            .where(CaseRating.updated_at >= start, CaseRating.updated_at < end)
        )
    )
    for rating, severity, assignee, product, _key, _organization_name in ratings:
        for figures in groups(severity, assignee, product):
            _rate(figures, rating)
    # Organizations with ratings alone: counted, and shown when fewer than asked for are busier.
    rated = {key: organization_name for *_group, key, organization_name in reversed(ratings) if key not in found}
    if rated and organizations is not None:
        busier = sum(1 for _name, numbers in found.values() if numbers[0] or numbers[1])
        elsewhere = _organizations_with_counts(list(rated), start, end, now)
        counted += len(rated.keys() - elsewhere)
        rated = {key: name for key, name in rated.items() if key not in elsewhere} if busier < organizations else {}
    for key, organization_name in rated.items():
        found[key] = (organization_name, (0,) * len(_COUNTS))
    if organizations is None:
        counted = len(found)

    def busiest(item: tuple[object, tuple[str, tuple[int, ...]]]) -> tuple[int, int, str]:
        name, numbers = item[1]
        return (-numbers[0], -numbers[1], name.lower())

    chosen = sorted(found.items(), key=busiest)[:organizations]
    by_organization = {shown: _figures(organization_name, numbers) for shown, (organization_name, numbers) in chosen}
    for rating, *_group, key, _organization_name in ratings:
        if key in by_organization:
            _rate(by_organization[key], rating)

    responses = list(
        db.session.execute(
            select(
                Case.severity,
                Case.assignee_sub,
                Case.product_key,
                organization,
                Case.created_at,
                Case.first_responded_at,
            ).where(Case.created_at >= start, Case.created_at < end, Case.first_responded_at.is_not(None))
        )
    )
    if responses:
        clock = _BusinessClock(
            sla.policy().calendar,
            min(row.created_at for row in responses).astimezone(tz).date() - dt.timedelta(days=1),
            max(row.first_responded_at for row in responses).astimezone(tz).date() + dt.timedelta(days=1),
        )
        for severity, assignee, product, key, created_at, responded_at in responses:
            if responded_at is None:  # asked for none of these
                continue
            hours = clock.between(created_at, responded_at) / 3600
            for figures in groups(severity, assignee, product):
                figures.first_response_hours.append(hours)
            if key in by_organization:
                by_organization[key].first_response_hours.append(hours)

    _count_solved_per_bucket(buckets, tz, start, end)

    people = db.session.execute(select(Person.sub, Person.name).where(Person.sub.in_([sub for sub in by_agent if sub])))
    names = {sub: name for sub, name in people}
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
        by_organization=list(by_organization.values()),
        organizations=counted,
        buckets=buckets,
        weekly=weekly,
    )


def _involved(start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """Opened, solved or with a first response due in the period."""
    return or_(
        and_(Case.created_at >= start, Case.created_at < end),
        and_(Case.solved_at >= start, Case.solved_at < end),
        and_(Case.first_response_due_at >= start, Case.first_response_due_at < end),
    )


def _organization_names(keys: list[object], start: dt.datetime, end: dt.datetime) -> dict[object, str]:
    """The names of some organizations, as their cases of the period give them.

    Those opened in the period first (``ix_cases_org_created`` finds them), then, for the
    organizations with none, those solved or with a first response due in the period.
    """
    organization = _ORGANIZATION
    names: dict[object, str] = {}
    # Often thousands tied at the last place shown: the ids as one value, not a bound value each.
    for condition in (and_(Case.created_at >= start, Case.created_at < end), _involved(start, end)):
        missing = [key for key in keys if key not in names]
        if missing:
            names.update(
                (key, name)
                for key, name in db.session.execute(
                    select(organization, func.max(Case.organization_name))
                    .where(organization_among([uuid.UUID(str(key)) for key in missing]), condition)
                    .group_by(organization)
                ).all()
            )
    return names


def _organizations_with_counts(
    keys: list[object], start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> set[object]:
    """Which of some organizations have cases that count in the period."""
    contributions = _contributions(start, end, now, Case.organization_id)
    summed = _summed(contributions, 1)
    rows = db.session.execute(
        select(cast(summed[0], String))
        .where(contributions.c[0].in_([uuid.UUID(str(key)) for key in keys]))
        .group_by(contributions.c[0])
        .having(sum(summed[1:], literal(0)) > 0)
    )
    return set(rows.scalars())


def _bucket_of(moment: _Moment, buckets: list[Bucket], tz: ZoneInfo) -> ColumnElement[int]:
    """The number of the bar whose days (in ``tz``) hold ``moment``, for a moment in the period.

    Compared with the bars' first moments by halves, a few comparisons a case whatever the bars.
    """
    starts = [dt.datetime.combine(bucket.first, dt.time(), tzinfo=tz).astimezone(dt.UTC) for bucket in buckets]

    def between(first: int, last: int) -> ColumnElement[int]:
        if first == last:
            return literal(first)
        middle = (first + last + 1) // 2
        return case((moment < starts[middle], between(first, middle - 1)), else_=between(middle, last))

    return between(0, len(buckets) - 1)


def _count_solved_per_bucket(buckets: list[Bucket], tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> None:
    """Add to each bar the cases solved on its days (and still solved or closed).

    The status is tested per case rather than in the query's condition, so that the database reads
    the cases through ``ix_cases_solved`` (with a condition on the status, SQLite without statistics
    would walk the index by status, most cases being solved or closed).
    """
    solved = Case.status.in_((Status.SOLVED, Status.CLOSED))
    position = case((not_(solved), None), else_=_bucket_of(Case.solved_at, buckets, tz))
    inner = select(position.label("bucket")).where(Case.solved_at >= start, Case.solved_at < end).subquery()
    for number, count in db.session.execute(select(inner.c.bucket, func.count()).group_by(inner.c.bucket)):
        if number is not None:
            buckets[number].solved += count
