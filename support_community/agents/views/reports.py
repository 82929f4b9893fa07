"""Reports for agents: a period's figures, per severity, agent, product and organization, a chart, and a CSV."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from shared.access import requires
from shared.i18n import current_language
from support_community.agents.chart import chart
from support_community.agents.forms import ReportPeriodForm
from support_community.agents.views import bp
from support_community.cases.services import reports
from support_community.extensions import db

ORGANIZATIONS_SHOWN = 10  # the busiest; the CSV holds every one


def _period(form: ReportPeriodForm) -> reports.Period:
    if form.days.data == "dates" and form.validate() and form.start.data and form.end.data:
        return reports.period_of(first=form.start.data, last=form.end.data)
    try:
        days = int(form.days.data or 30)
    except ValueError:
        days = 30
    form.days.data = str(days if days in reports.PRESETS else 30)
    return reports.period_of(days if days in reports.PRESETS else 30)


def _form() -> ReportPeriodForm:
    form = ReportPeriodForm(request.args)
    form.set_choices(reports.PRESETS)
    if not form.days.data:
        form.days.data = "30"
    return form


def share(value: float | None) -> str:
    return format_percent(value, "#,##0 %") if value is not None else "–"


def hours(value: float | None) -> str:
    return _("%(hours)s h", hours=format_decimal(value, "#,##0.0")) if value is not None else "–"


@bp.get("/reports")
@requires("agent.reports")
def reports_page() -> ResponseReturnValue:
    form = _form()
    period = _period(form)
    result = reports.report(period, language=current_language(), organizations=ORGANIZATIONS_SHOWN)
    db.session.commit()
    return render_template(
        "agents/reports.html",
        form=form,
        report=result,
        chart=chart(result.buckets),
        share=share,
        organizations_shown=ORGANIZATIONS_SHOWN,
        hours=hours,
        csv_args={name: value for name, value in request.args.items() if name in ("days", "start", "end")},
    )


@bp.get("/reports.csv")
@requires("agent.reports")
def reports_csv() -> ResponseReturnValue:
    form = _form()
    period = _period(form)
    result = reports.report(period, language=current_language())
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "group",
            "name",
            "new",
            "solved",
            "median_first_response_business_hours",
            "first_response_met",
            "first_response_missed",
            "resolution_met",
            "resolution_missed",
            "ratings_good",
            "ratings_bad",
        ]
    )

    def row(group: str, name: str, figures: reports.Figures) -> None:
        median = figures.median_first_response
        writer.writerow(
            [
                group,
                name,
                figures.new,
                figures.solved,
                f"{median:.2f}" if median is not None else "",
                figures.first_response_met,
                figures.first_response_missed,
                figures.resolution_met,
                figures.resolution_missed,
                figures.good,
                figures.bad,
            ]
        )

    row("all", "", result.total)
    for figures in result.by_severity:
        row("severity", figures.label, figures)
    for figures in result.by_agent:
        row("agent", figures.label or "unassigned", figures)
    for figures in result.by_product:
        row("product", figures.label, figures)
    for figures in result.by_organization:
        row("organization", figures.label, figures)
    name = f"cases-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
