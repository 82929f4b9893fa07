"""How did we do? The rating form of a solved case: from the mail's signed link, or on the case page.

The signed link (``/rate/<token>``) opens this form without signing in and allows nothing else;
the case page's form is the signed-in customer's (``/orgs/<org_id>/cases/<case_id>/rating``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from shared.access import public, requires
from shared.errors import report_error
from support_community.cases.forms.rating import RatingForm
from support_community.cases.models import Case
from support_community.cases.services import satisfaction
from support_community.cases.views.context import acting_person, get_case_or_404
from support_community.cases.workspace_models import CaseRating
from support_community.extensions import db

bp = Blueprint("rating", __name__)


def _thanks(rating: str) -> str:
    if rating == "good":
        return _("Thank you for your rating. We are glad we could help.")
    return _("Thank you for your rating. We are sorry; we read every comment to do better.")


@bp.route("/rate/<token>", methods=["GET", "POST"])
@public
def rate_from_mail(token: str) -> ResponseReturnValue:
    try:
        holder = satisfaction.read_link(token)
    except satisfaction.RatingError as error:
        db.session.rollback()
        return render_template("cases/rate.html", refused=error.message, form=None), 410
    case = holder.case
    existing = satisfaction.rating_of(case)
    chosen = request.args.get("rating") if request.args.get("rating") in satisfaction.RATINGS else None
    form = RatingForm(
        data={
            "rating": chosen or (existing.rating if existing else None),
            "comment": existing.comment if existing else "",
        }
    )
    saved = None
    status = 200
    if request.method == "POST":
        form = RatingForm()
        if form.validate_on_submit():
            try:
                saved = satisfaction.rate(case, form.rating.data, form.comment.data, actor=holder.person)
            except satisfaction.RatingError as error:
                db.session.rollback()
                report_error(error, form)
                status = 400
            else:
                db.session.commit()
        else:
            status = 400
    open_now = satisfaction.window_open(case)
    response = render_template(
        "cases/rate.html",
        case=case,
        form=form,
        existing=existing,
        saved=saved,
        thanks=_thanks(saved.rating) if saved else None,
        window_open=open_now,
        days=satisfaction.rating_days(),
        refused=None,
    )
    db.session.commit()
    return response, status


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/rating")
@requires("case.reply")
def rate_case(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    case = get_case_or_404(org_id, case_id)
    form = RatingForm()
    target = url_for("cases.case_detail", org_id=org_id, case_id=case_id, _anchor="rating")
    if not form.validate_on_submit():
        flash(_("Choose good or bad."), "error")
        return redirect(target)
    try:
        saved = satisfaction.rate(case, form.rating.data, form.comment.data, actor=acting_person())
    except satisfaction.RatingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(target)
    db.session.commit()
    flash(_thanks(saved.rating), "success")
    return redirect(target)


@dataclass(frozen=True)
class RatingPrompt:
    """What a customer's case page shows of the rating: whether to ask, the rating given, the form."""

    shown: bool
    open: bool
    rating: CaseRating | None
    form: RatingForm | None
    days: int


def rating_prompt(case: Case) -> RatingPrompt:
    """For the customer's case page (``cases/_rating.html``), as a template global."""
    existing = satisfaction.rating_of(case)
    open_now = satisfaction.window_open(case)
    form = None
    if open_now:
        form = RatingForm(
            formdata=None,
            data={"rating": existing.rating if existing else None, "comment": existing.comment if existing else ""},
        )
    return RatingPrompt(
        shown=open_now or existing is not None,
        open=open_now,
        rating=existing,
        form=form,
        days=satisfaction.rating_days(),
    )
