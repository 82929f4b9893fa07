"""Business hours on fixed clocks: evenings, weekends, Belgian public holidays and daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from support_community.cases.business_hours import (
    BusinessCalendar,
    CalendarSettingError,
    parse_days,
    parse_hours,
    parse_targets,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
HOUR = 3600


def local(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=BRUSSELS)


@pytest.fixture()
def calendar() -> BusinessCalendar:
    return BusinessCalendar()  # Monday to Friday, 9:00-17:00 in Brussels, Belgian public holidays


def test_friday_afternoon_plus_two_hours_is_monday_morning(calendar):
    # Friday 4 December 2026, 16:00 → one hour on Friday, one on Monday 7 December.
    assert calendar.add(local(2026, 12, 4, 16), 2 * HOUR) == local(2026, 12, 7, 10)


def test_a_case_opened_at_night_or_on_sunday_starts_counting_when_the_team_starts(calendar):
    assert calendar.add(local(2026, 12, 8, 7, 30), HOUR) == local(2026, 12, 8, 10)
    assert calendar.add(local(2026, 12, 8, 22), HOUR) == local(2026, 12, 9, 10)
    assert calendar.add(local(2026, 12, 6, 12), 0) == local(2026, 12, 7, 9)


def test_easter_monday_and_christmas_are_not_business_days(calendar):
    # Friday 3 April 2026 16:00 + 2 h: the weekend and Easter Monday (6 April) are skipped.
    assert calendar.add(local(2026, 4, 3, 16), 2 * HOUR) == local(2026, 4, 7, 10)
    # Thursday 24 December 16:00 + 8 h: Christmas (Friday) and the weekend are skipped.
    assert calendar.add(local(2026, 12, 24, 16), 8 * HOUR) == local(2026, 12, 28, 16)
    # Ascension Day (14 May 2026) and the national day (21 July 2026).
    assert not calendar.is_business_day(dt.date(2026, 5, 14))
    assert not calendar.is_business_day(dt.date(2026, 7, 21))
    assert calendar.is_business_day(dt.date(2026, 4, 3))  # Good Friday is a working day in Belgium


def test_a_working_day_lasts_eight_hours_on_both_sides_of_a_daylight_saving_change(calendar):
    # Summer time starts on Sunday 29 March 2026: Friday 16:00 CET (15:00 UTC) + 2 h → Monday 10:00 CEST.
    due = calendar.add(local(2026, 3, 27, 16), 2 * HOUR)
    assert due == local(2026, 3, 30, 10)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 3, 30, 8, tzinfo=dt.UTC)
    # Winter time starts on Sunday 25 October 2026: Friday 16:00 CEST (14:00 UTC) + 2 h → Monday 10:00 CET.
    due = calendar.add(local(2026, 10, 23, 16), 2 * HOUR)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 10, 26, 9, tzinfo=dt.UTC)
    # Counted back: both weeks hold exactly 40 business hours.
    assert calendar.between(local(2026, 3, 27, 9), local(2026, 4, 3, 9)) == 40 * HOUR
    assert calendar.between(local(2026, 10, 23, 9), local(2026, 10, 30, 9)) == 40 * HOUR


def test_business_time_between_two_moments(calendar):
    assert calendar.between(local(2026, 12, 4, 16), local(2026, 12, 7, 10)) == 2 * HOUR
    assert calendar.between(local(2026, 12, 7, 10), local(2026, 12, 4, 16)) == 0
    assert calendar.between(local(2026, 12, 5, 9), local(2026, 12, 6, 18)) == 0  # a weekend
    # Naive moments are UTC (as SQLite gives them back).
    assert calendar.between(dt.datetime(2026, 12, 7, 8), dt.datetime(2026, 12, 7, 9)) == HOUR


def test_the_calendar_follows_its_settings():
    weekend_team = BusinessCalendar.from_settings(zone="Europe/Paris", hours="08:00-18:00", days="mon-sat", country="")
    # Saturday counts; Christmas is worked (no holidays).
    assert weekend_team.add(local(2026, 12, 4, 17), 3 * HOUR) == local(2026, 12, 5, 10)
    assert weekend_team.is_business_day(dt.date(2026, 12, 25))
    assert parse_days("mon,wed-thu") == frozenset({0, 2, 3})
    assert parse_hours("08:30-24:00")[0] == dt.time(8, 30)
    assert parse_targets("critical=1, high=4h,low=0", ("critical", "high", "normal", "low")) == {
        "critical": 1.0,
        "high": 4.0,
    }


@pytest.mark.parametrize(
    "settings",
    [
        {"hours": "9-17"},
        {"hours": "17:00-09:00"},
        {"days": "monday"},
        {"days": "fri-mon"},
        {"days": ""},
        {"zone": "Europe/Gent"},
        {"country": "XX"},
    ],
)
def test_a_wrong_setting_is_refused_with_a_reason(settings):
    values = {"zone": "Europe/Brussels", "hours": "09:00-17:00", "days": "mon-fri", "country": "BE"} | settings
    with pytest.raises(CalendarSettingError):
        BusinessCalendar.from_settings(**values)


@pytest.mark.parametrize("text", ["urgent=1", "high", "high=soon", "high=-1"])
def test_wrong_targets_are_refused(text):
    with pytest.raises(CalendarSettingError):
        parse_targets(text, ("critical", "high", "normal", "low"))


def test_the_service_refuses_to_start_with_a_wrong_sla_setting(monkeypatch):
    from shared.config import ConfigurationError
    from support_community.config import load_config

    monkeypatch.setenv("SLA_BUSINESS_HOURS", "nine to five")
    with pytest.raises(ConfigurationError, match="SLA settings"):
        load_config()
