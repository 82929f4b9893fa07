"""The agents' report: which articles answer questions before they become cases, and which readers found helpful."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from shared.access import requires
from support_community.kb.services import feedback
from support_community.kb.views import bp

PERIODS = ("30", "90", "365", "all")


@bp.get("/agent/kb/report")
@requires("kb.report")
def report() -> ResponseReturnValue:
    period = request.args.get("days", "30")
    period = period if period in PERIODS else "30"
    result = feedback.report(days=None if period == "all" else int(period))
    return render_template("kb/editor/report.html", result=result, period=period, periods=PERIODS)
