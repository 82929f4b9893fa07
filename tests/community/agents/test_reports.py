"""Reports: new and solved cases, median first response, SLA attainment, satisfaction; a chart; CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from shared.database import utcnow
from support_community.cases.models import CaseMessage, MessageKind, Severity, Status
from support_community.cases.services import reports, sla
from support_community.cases.workspace_models import CaseRating
from support_community.extensions import db
from tests.community.factories import make_agent, make_case, make_person


def case_on(day: dt.datetime, *, severity=Severity.NORMAL, assignee=None, answered_after_hours=None, solved=False):
    """A case opened at ``day`` (UTC), answered some business hours later, possibly solved the same day."""
    case = make_case(make_person(), severity=severity, assignee=assignee, status=Status.IN_PROGRESS)
    case.created_at = day
    case.sla_paused_since = None
    sla.case_opened(case)
    db.session.flush()
    if answered_after_hours is not None:
        at = sla.policy().calendar.add(day, answered_after_hours * 3600)
        db.session.add(
            CaseMessage(
                case_id=case.id,
                author_sub=(assignee or make_agent()).sub,
                kind=MessageKind.REPLY,
                body="…",
                by_agent=True,
                created_at=at,
            )
        )
        db.session.flush()
    if solved:
        case.status = Status.SOLVED
        case.solved_at = day + dt.timedelta(hours=6)
        db.session.flush()
    return case


def monday(weeks_ago: int = 1) -> dt.datetime:
    today = utcnow().date()
    day = today - dt.timedelta(days=today.weekday() + 7 * weeks_ago)
    return dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)  # 9:00 or 10:00 in Brussels


def test_the_figures_of_a_period(community):
    eva = make_agent(name="Eva Claes")
    start = monday()
    fast = case_on(start, severity=Severity.HIGH, assignee=eva, answered_after_hours=1, solved=True)
    slow = case_on(start, severity=Severity.HIGH, answered_after_hours=6)  # high: 4 h target → missed
    case_on(start, severity=Severity.LOW, answered_after_hours=3)
    db.session.add(
        CaseRating(case_id=fast.id, rating="good", comment="", rated_by_sub=fast.opened_by_sub, updated_at=utcnow())
    )
    db.session.flush()
    del slow

    result = reports.report(reports.period_of(30))
    total = result.total
    assert (total.new, total.solved) == (3, 1)
    assert total.median_first_response == 3.0
    assert (total.first_response_met, total.first_response_missed) == (2, 1)
    assert total.resolution_attainment == 1.0
    assert (total.good, total.bad, total.satisfaction) == (1, 0, 1.0)
    high = next(f for f in result.by_severity if f.label == "high")
    assert (high.new, high.first_response_missed) == (2, 1)
    assert [f.label for f in result.by_agent] == ["Eva Claes", ""]
    assert [(f.label, f.new) for f in result.by_product] == [("Accounting", 3)]
    assert [(f.label, f.new) for f in result.by_organization][0][1] == 1  # each factory case is its own organization
    assert sum(b.new for b in result.buckets) == 3 and sum(b.solved for b in result.buckets) == 1


def test_an_unanswered_case_past_its_due_time_counts_as_missed(community):
    case_on(monday(), severity=Severity.CRITICAL)
    assert reports.report(reports.period_of(30)).total.first_response_missed == 1


def test_the_period_is_chosen_by_preset_or_dates(community):
    assert reports.period_of(7).days == 7
    period = reports.period_of(first=dt.date(2026, 3, 31), last=dt.date(2026, 3, 1))
    assert (period.first, period.last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert reports.period_of(first=dt.date(2020, 1, 1), last=dt.date(2026, 1, 1)).days == reports.LONGEST_DAYS
    weekly = reports.report(reports.period_of(90))
    assert weekly.weekly and len(weekly.buckets) in (13, 14)


def test_the_page_draws_an_accessible_chart_without_scripts(community_client, agent):
    case_on(monday(), answered_after_hours=2, solved=True)
    page = community_client.get("/agent/reports", query_string={"days": "30"}).get_data(as_text=True)
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="chart-svg-title chart-svg-desc"' in svg
    assert '<title id="chart-svg-title">New and solved cases per day</title>' in svg
    assert svg.count("<rect") == 60  # a new and a solved bar for each of 30 days
    assert "1 new and 1 solved cases in the period" in svg
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Median first response" in page and "2.0 h" in page
    assert "Per product" in page and "Per organization" in page and "Bakkerij Peeters BV" in page


def test_dates_in_any_order_and_nonsense_do_not_break_the_page(community_client, agent):
    for args in (
        {"days": "dates", "start": "2026-12-01", "end": "2026-11-01"},
        {"days": "x"},
        {"days": "dates", "start": "soon"},
    ):
        assert community_client.get("/agent/reports", query_string=args).status_code == 200


def test_the_csv_holds_the_same_figures(community_client, agent):
    eva = make_agent(name="Eva Claes")
    case_on(monday(), severity=Severity.HIGH, assignee=eva, answered_after_hours=1, solved=True)
    response = community_client.get("/agent/reports.csv", query_string={"days": "30"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    overall = rows[0]
    assert (overall["group"], overall["new"], overall["solved"], overall["median_first_response_business_hours"]) == (
        "all",
        "1",
        "1",
        "1.00",
    )
    groups = {(row["group"], row["name"]) for row in rows}
    assert {("agent", "Eva Claes"), ("product", "Accounting"), ("organization", "Bakkerij Peeters BV")} <= groups


def test_a_customer_cannot_see_reports(community_client, login):
    from tests.community.auth.fake_op import org

    login(orgs=[org("Bakkerij Peeters BV")])
    assert community_client.get("/agent/reports").status_code == 403
    assert community_client.get("/agent/reports.csv").status_code == 403


def test_the_chart_scales_its_bars_and_marks_whole_numbers():
    from support_community.agents.chart import chart

    buckets = [
        reports.Bucket(dt.date(2026, 12, 1), dt.date(2026, 12, 1), new=6, solved=3),
        reports.Bucket(dt.date(2026, 12, 2), dt.date(2026, 12, 2), new=0, solved=0),
    ]
    drawn = chart(buckets)
    heights = {(bar.bucket.first.day, bar.kind): bar.height for bar in drawn.bars}
    assert heights[(1, "new")] == 2 * heights[(1, "solved")] > 0
    assert heights[(2, "new")] == 0
    assert [tick.value for tick in drawn.ticks] == [0, 2, 4, 6, 8, 10]
    assert all(bar.y + bar.height == drawn.baseline for bar in drawn.bars)
