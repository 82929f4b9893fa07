"""Articles suggested while a case is written, and "this answered my question".

Without JavaScript the new-case form's first submit shows up to three articles that may
answer the question (``articles_to_offer_first``, called by ``cases.views.creating``);
the form comes back with everything typed, a hidden ``suggestions_seen`` field, and two
ways on: "this answered my question" (``answered``: counted as a deflection, no case is
opened) or opening the case after all (the form's own button). With JavaScript
(``static/kb-suggest.js``) the same list follows the typing, from ``suggestions``.

A first submit that carries files is not held up: a browser cannot put the files back
into the form, and someone who attached them has made up their mind.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from shared.access import requires
from shared.i18n import current_language
from support_community.cases.views.context import acting_organization, acting_person
from support_community.extensions import db
from support_community.kb.services import articles, feedback, suggestions
from support_community.kb.services.search import Hit
from support_community.kb.views import bp
from support_community.kb.views.context import reader_audience

SEEN_FIELD = "suggestions_seen"
SUBJECT_MAX, DESCRIPTION_MAX = 200, 2_000


def _suggested(subject: str | None, description: str | None) -> list[Hit]:
    return suggestions.suggest(
        (subject or "")[:SUBJECT_MAX],
        (description or "")[:DESCRIPTION_MAX],
        language=current_language(),
        audience=reader_audience(),
    )


def articles_to_offer_first(subject: str | None, description: str | None) -> list[Hit]:
    """The articles to show before a new case is opened: none once they were seen, or with files attached."""
    if request.form.get(SEEN_FIELD) == "1" or any(f.filename for f in request.files.getlist("attachments")):
        return []
    return _suggested(subject, description)


@bp.get("/orgs/<uuid:org_id>/kb/suggestions")
@requires("case.create")
def suggestions_fragment(org_id: uuid.UUID) -> ResponseReturnValue:
    """The suggestions for what is typed so far, as the HTML the new-case form shows (for its script)."""
    hits = _suggested(request.args.get("subject"), request.args.get("description"))
    return render_template("kb/_suggestions.html", suggestions=hits, live=True)


@bp.post("/orgs/<uuid:org_id>/kb/answered")
@requires("case.create")
def answered(org_id: uuid.UUID) -> ResponseReturnValue:
    """ "This answered my question": the case is not opened, and the article is counted as having helped."""
    org = acting_organization()
    translation = articles.find_published_by_id(request.form.get("answered"), reader_audience())
    if translation is None:
        abort(400)
    feedback.record_deflection(translation, organization_id=org.id, actor=acting_person())
    db.session.commit()
    flash(_("We are glad the article answered your question. No case was opened."), "success")
    return redirect(url_for("cases.org_home", org_id=org.id))
