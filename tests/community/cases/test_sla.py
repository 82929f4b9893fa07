"""Due times kept on the case, on fixed clocks: opening, replies, waiting for the customer, severity, commands."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from support_community.cases.models import CaseMessage, MessageKind, Severity, Status
from support_community.cases.services import sla, statuses
from support_community.extensions import db
from tests.community.factories import make_agent, make_case, make_person

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=BRUSSELS)


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def opened_at(when: dt.datetime, severity: Severity = Severity.NORMAL, **attributes):
    """A case opened at ``when`` (the factory's case, its clock set back to that moment)."""
    case = make_case(make_person(), severity=severity, **attributes)
    case.created_at = when
    case.sla_paused_since = None
    sla.case_opened(case)
    db.session.flush()
    return case


def message(case, author, at: dt.datetime, *, by_agent: bool, kind: MessageKind = MessageKind.REPLY):
    db.session.add(
        CaseMessage(case_id=case.id, author_sub=author.sub, kind=kind, body="…", by_agent=by_agent, created_at=at)
    )
    db.session.flush()


def move(case, new: Status, at: dt.datetime, agent):
    statuses.record_change(case, case.status, new, actor=agent, now=at)
    db.session.flush()


def test_a_critical_case_opened_on_friday_afternoon_is_due_on_monday(community):
    case = opened_at(local(2026, 12, 4, 16, 30), Severity.CRITICAL)  # critical: 1 h first response, 8 h resolution

    assert utc(case.first_response_due_at) == utc(local(2026, 12, 7, 9, 30))
    assert utc(case.resolution_due_at) == utc(local(2026, 12, 7, 16, 30))
    assert utc(case.next_due_at) == utc(local(2026, 12, 7, 9, 30))


def test_an_agent_reply_meets_the_first_response_and_a_customer_answer_is_due_a_reply(community):
    agent = make_agent()
    case = opened_at(local(2026, 12, 7, 9), Severity.HIGH)  # high: 4 h, 24 h
    customer = case.opened_by

    message(case, agent, local(2026, 12, 7, 10), by_agent=True, kind=MessageKind.INTERNAL_NOTE)
    assert case.first_responded_at is None  # a note is no answer to the customer

    message(case, agent, local(2026, 12, 7, 11), by_agent=True)
    assert utc(case.first_responded_at) == utc(local(2026, 12, 7, 11))
    assert case.reply_due_at is None
    assert utc(case.next_due_at) == utc(local(2026, 12, 9, 17))  # resolution: three working days

    message(case, customer, local(2026, 12, 8, 15), by_agent=False)
    assert utc(case.reply_due_at) == utc(local(2026, 12, 9, 11))  # 2 h on Tuesday, 2 h on Wednesday
    assert utc(case.next_due_at) == utc(local(2026, 12, 9, 11))
    # The first response stays as it was met: reports count it.
    assert utc(case.first_response_due_at) == utc(local(2026, 12, 7, 13))


def test_waiting_for_the_customer_pauses_the_resolution_clock(community):
    agent = make_agent()
    case = opened_at(local(2026, 12, 7, 9))  # Monday; normal: 8 h, 40 h → Friday 17:00
    assert utc(case.resolution_due_at) == utc(local(2026, 12, 11, 17))

    move(case, Status.WAITING_FOR_CUSTOMER, local(2026, 12, 8, 9), agent)
    assert case.next_due_at is None  # nothing is due from the team while the customer has the case

    # The customer answers on Thursday 9:00: Tuesday and Wednesday (16 business hours) did not count.
    move(case, Status.IN_PROGRESS, local(2026, 12, 10, 9), agent)
    assert case.sla_paused_seconds == 16 * 3600
    assert utc(case.resolution_due_at) == utc(local(2026, 12, 15, 17))
    assert case.next_due_at is not None


def test_a_pause_over_a_weekend_and_a_holiday_counts_only_business_hours(community):
    agent = make_agent()
    case = opened_at(local(2026, 4, 2, 9), Severity.CRITICAL)  # Thursday before Easter
    move(case, Status.WAITING_FOR_CUSTOMER, local(2026, 4, 3, 16), agent)  # Good Friday, 16:00
    move(case, Status.IN_PROGRESS, local(2026, 4, 7, 10), agent)  # Tuesday after Easter Monday
    assert case.sla_paused_seconds == 2 * 3600


def test_solving_keeps_the_resolution_due_time_and_stops_the_clock(community):
    agent = make_agent()
    case = opened_at(local(2026, 12, 7, 9), Severity.CRITICAL)
    message(case, agent, local(2026, 12, 7, 9, 30), by_agent=True)
    move(case, Status.SOLVED, local(2026, 12, 7, 15), agent)

    assert case.next_due_at is None
    [first, resolution] = sla.due_times(case, now=local(2026, 12, 20, 9))
    assert first.met is True and resolution.met is True
    assert not resolution.overdue


def test_a_higher_severity_brings_the_due_times_forward(community):
    case = opened_at(local(2026, 12, 7, 9), Severity.LOW)  # low: 16 h, 80 h
    assert utc(case.first_response_due_at) == utc(local(2026, 12, 8, 17))
    case.severity = Severity.CRITICAL
    db.session.flush()
    assert utc(case.first_response_due_at) == utc(local(2026, 12, 7, 10))
    assert utc(case.next_due_at) == utc(local(2026, 12, 7, 10))


def test_targets_and_the_calendar_come_from_the_settings(community, monkeypatch):
    monkeypatch.setitem(community.config, "SLA_FIRST_RESPONSE_HOURS", "normal=2")
    monkeypatch.setitem(community.config, "SLA_RESOLUTION_HOURS", "")
    monkeypatch.setitem(community.config, "SLA_BUSINESS_DAYS", "mon-sat")
    case = opened_at(local(2026, 12, 4, 16, 30))

    assert utc(case.first_response_due_at) == utc(local(2026, 12, 5, 10, 30))  # Saturday is worked
    assert case.resolution_due_at is None


def test_a_case_opened_through_the_service_gets_its_due_times(community, demo_catalog):
    from tests.community.factories import PEETERS, acting_as, open_case, user_with

    person = acting_as(user_with(PEETERS))
    case = open_case(PEETERS, person, severity="high")
    db.session.flush()
    assert case.first_response_due_at is not None and case.next_due_at == case.first_response_due_at


def test_the_recompute_command_applies_new_targets_to_open_cases(community, monkeypatch):
    agent = make_agent()
    case = opened_at(local(2026, 12, 7, 9))
    message(case, agent, local(2026, 12, 7, 10), by_agent=True)
    monkeypatch.setitem(community.config, "SLA_RESOLUTION_HOURS", "normal=4")
    result = community.test_cli_runner().invoke(args=["sla", "recompute"])

    assert result.exit_code == 0, result.output
    assert "1 open case" in result.output
    db.session.refresh(case)
    assert utc(case.first_responded_at) == utc(local(2026, 12, 7, 10))
    assert utc(case.resolution_due_at) == utc(local(2026, 12, 7, 13))


def test_the_show_command_prints_the_targets(community):
    result = community.test_cli_runner().invoke(args=["sla", "show"])
    assert result.exit_code == 0, result.output
    assert "09:00-17:00 mon,tue,wed,thu,fri, Europe/Brussels" in result.output
    assert "critical" in result.output and "1 h" in result.output


@pytest.mark.parametrize(("minutes", "overdue"), [(59, False), (61, True)])
def test_a_case_is_breaching_when_overdue_or_within_the_warning(community, minutes, overdue):
    case = opened_at(local(2026, 12, 7, 9), Severity.CRITICAL)  # first response due 10:00
    now = local(2026, 12, 7, 9, 30)
    soon = sla.soon_threshold(now)  # two business hours: 11:30
    assert utc(case.next_due_at) <= utc(soon)
    later = opened_at(local(2026, 12, 7, 9), Severity.LOW)  # due Tuesday 17:00
    assert utc(later.next_due_at) > utc(soon)
    at = local(2026, 12, 7, 9) + dt.timedelta(minutes=minutes)
    assert sla.due_times(case, now=at)[0].overdue is overdue


def test_a_case_closed_without_a_reply_shows_no_first_response_to_wait_for(community):
    agent = make_agent()
    case = opened_at(local(2026, 12, 7, 9))
    move(case, Status.WAITING_FOR_CUSTOMER, local(2026, 12, 7, 10), agent)
    [first, resolution] = sla.due_times(case, now=local(2026, 12, 9, 9))
    assert first.paused and resolution.paused and not first.overdue
    move(case, Status.CLOSED, local(2026, 12, 7, 11), agent)
    [resolution] = sla.due_times(case, now=local(2026, 12, 9, 9))
    assert resolution.what == "resolution" and resolution.met is True and not resolution.paused
