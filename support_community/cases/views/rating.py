"""How did we do? The rating form of a solved case: from the mail's signed link, or on the case page.

The signed link (``/rate/<token>?rating=good``) needs no sign-in and allows nothing else. Mail
scanners fetch links before people click them, so a GET records nothing: the page's form holds
the chosen rating, and its script (``rating-submit.js``) sends it as soon as a person's browser
shows the page; without script its button does. The person then lands on the same address
without a choice: the thank-you page, where they add a comment or change their mind. The case
page's form is the signed-in customer's (``/orgs/<org_id>/cases/<case_id>/rating``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale

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
    # The page speaks the mail's language (the person's), unless the browser chose one.
    g.language_of_link = (holder.person.locale or "")[:2]
    refresh_locale()
    if request.method == "POST":
        form = RatingForm()
        if not form.validate_on_submit():
            response = _rating_page(case, form)
            db.session.commit()
            return response, 400
        # The one-click form sends no comment: whatever comment was given before stays.
        comment = form.comment.data if "comment" in request.form else None
        try:
            satisfaction.rate(case, form.rating.data, comment, actor=holder.person)
        except satisfaction.RatingError as error:
            db.session.rollback()
            report_error(error, form)
            return _rating_page(case, form), 400
        db.session.commit()
        if comment is not None:
            flash(_("Your rating is saved."), "success")
        return redirect(url_for("rating.rate_from_mail", token=token), code=303)

    existing = satisfaction.rating_of(case)
    chosen = request.args.get("rating")
    if chosen in satisfaction.RATINGS and satisfaction.window_open(case):
        if existing is None or existing.rating != chosen:
            form = RatingForm(data={"rating": chosen})
            response = render_template(
                "cases/rate.html", case=case, form=form, one_click=chosen, chosen_label=_choice_label(form, chosen)
            )
            db.session.commit()
            return response
    form = RatingForm(
        data={"rating": existing.rating if existing else None, "comment": existing.comment if existing else ""}
    )
    response = _rating_page(case, form, existing=existing)
    db.session.commit()
    return response


def _choice_label(form: RatingForm, rating: str) -> str:
    return str(dict(form.rating.choices)[rating])


def _rating_page(case: Case, form: RatingForm, *, existing: CaseRating | None = None) -> str:
    """The rating form; once the case is rated, the thank-you page with the form to comment or change."""
    existing = existing or satisfaction.rating_of(case)
    return render_template(
        "cases/rate.html",
        case=case,
        form=form,
        existing=existing,
        thanks=_thanks(existing.rating) if existing else None,
        window_open=satisfaction.window_open(case),
        days=satisfaction.rating_days(),
        refused=None,
        one_click=None,
    )


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
