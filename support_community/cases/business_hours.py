"""Business hours: when the support team works, and time counted only while it does.

A ``BusinessCalendar`` knows the team's time zone, its working days and hours (by default
Monday to Friday, 9:00 to 17:00 in Europe/Brussels) and the public holidays of a country
(the ``holidays`` package, which keeps them up to date: Easter Monday, Ascension Day, …).
``add`` says when a number of business seconds after a moment ends; ``between`` how many
business seconds lie between two moments. Working hours are wall-clock hours in the team's
zone, so a working day lasts as long in summer as in winter, across daylight-saving changes.

Pure: no application, no database; the settings are parsed here (``parse_*``) so that a
wrong value is refused when the service starts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A target or a pause longer than this many days without a single working hour is a broken calendar.
_SEARCH_DAYS = 3 * 366


class CalendarSettingError(ValueError):
    """A business-hours setting cannot be understood; the message says which and why."""


def parse_hours(text: str) -> tuple[dt.time, dt.time]:
    """``"09:00-17:00"`` → (9:00, 17:00)."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text or "")
    if not match:
        raise CalendarSettingError(f"business hours must look like 09:00-17:00, not {text!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise CalendarSettingError(f"business hours must be times of day, not {text!r}")
    start = dt.time(h1, m1)
    end = dt.time.max if h2 == 24 else dt.time(h2, m2)
    if end <= start:
        raise CalendarSettingError(f"business hours must end after they start, not {text!r}")
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """``"mon-fri"`` or ``"mon,tue,thu"`` → weekday numbers (Monday is 0)."""
    days: set[int] = set()
    for part in (text or "").lower().replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise CalendarSettingError(f"business days must be like mon-fri or mon,wed,fri, not {text!r}")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if b < a:
            raise CalendarSettingError(f"a range of business days must go forward (mon-fri), not {part!r}")
        days.update(range(a, b + 1))
    if not days:
        raise CalendarSettingError("at least one business day is needed")
    return frozenset(days)


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarSettingError(f"unknown time zone {name!r}") from None


def parse_country(code: str) -> str:
    """A country code of the ``holidays`` package (``BE``), or ``""`` for no public holidays."""
    code = (code or "").strip().upper()
    if code and code not in holidays.list_supported_countries():
        raise CalendarSettingError(f"the holidays package knows no country {code!r}")
    return code


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Brussels"))
    start: dt.time = dt.time(9)
    end: dt.time = dt.time(17)
    weekdays: frozenset[int] = frozenset(range(5))
    country: str = "BE"

    @classmethod
    def from_settings(cls, *, zone: str, hours: str, days: str, country: str) -> BusinessCalendar:
        start, end = parse_hours(hours)
        return cls(
            zone=parse_zone(zone), start=start, end=end, weekdays=parse_days(days), country=parse_country(country)
        )

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | None:
        return holidays.country_holidays(self.country) if self.country else None

    def holiday_name(self, day: dt.date) -> str | None:
        return self._holidays.get(day) if self._holidays is not None else None

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and (self._holidays is None or day not in self._holidays)

    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The day's working hours as UTC moments (wall-clock in the team's zone)."""
        opens = dt.datetime.combine(day, self.start, tzinfo=self.zone).astimezone(dt.UTC)
        closes = dt.datetime.combine(day, self.end, tzinfo=self.zone).astimezone(dt.UTC)
        return opens, closes

    def _days_from(self, moment: dt.datetime) -> Iterator[dt.date]:
        first = _aware(moment).astimezone(self.zone).date()
        return (first + dt.timedelta(days=n) for n in range(_SEARCH_DAYS))

    def add(self, moment: dt.datetime, seconds: float) -> dt.datetime:
        """The moment when ``seconds`` of business time after ``moment`` have passed (UTC)."""
        moment = _aware(moment).astimezone(dt.UTC)
        left = dt.timedelta(seconds=max(0.0, seconds))
        for day in self._days_from(moment):
            if not self.is_business_day(day):
                continue
            opens, closes = self._window(day)
            begin = max(opens, moment)
            if begin >= closes:
                continue
            if not left:
                return begin
            if begin + left <= closes:
                return begin + left
            left -= closes - begin
        raise CalendarSettingError("the business calendar has no working hours within three years")

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds from ``start`` to ``end`` (0 when ``end`` is not later)."""
        start, end = _aware(start).astimezone(dt.UTC), _aware(end).astimezone(dt.UTC)
        if end <= start:
            return 0.0
        total = dt.timedelta()
        for day in self._days_from(start):
            opens, closes = self._window(day)
            if opens >= end:
                break
            if self.is_business_day(day):
                begin, finish = max(opens, start), min(closes, end)
                if finish > begin:
                    total += finish - begin
        return total.total_seconds()


def _aware(moment: dt.datetime) -> dt.datetime:
    """Moments without a zone are UTC (as the database gives them back on SQLite)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def parse_targets(text: str, names: tuple[str, ...]) -> dict[str, float]:
    """``"critical=1,high=4,normal=8,low=16"`` → hours per name; a name left out (or ``0``) has no target."""
    targets: dict[str, float] = {}
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        name, equals, value = part.partition("=")
        name = name.lower()
        if not equals or name not in names:
            raise CalendarSettingError(
                f"targets must be like critical=1,high=4 (one of {', '.join(names)}), not {part!r}"
            )
        try:
            hours = float(value.replace("h", ""))
        except ValueError:
            raise CalendarSettingError(f"a target is a number of business hours, not {value!r}") from None
        if hours < 0 or hours != hours or hours > 10_000:
            raise CalendarSettingError(f"a target is a number of business hours from 0 to 10000, not {value!r}")
        if hours:
            targets[name] = hours
    return targets
