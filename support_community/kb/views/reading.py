"""Reading the knowledge base: browse and search ``/kb``, read ``/kb/<language>/<slug>``, say if it helped.

Public pages: a visitor reads public articles, a signed-in person also those for signed-in
customers, an agent also the internal ones. An article the reader may not read, or that
is not published in that language, is a 404, like an address that never existed.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from shared.access import public
from shared.i18n import current_language
from support_community.auth.session import current_user
from support_community.cases.services import catalog
from support_community.extensions import db
from support_community.kb.forms.reading import FeedbackForm, SearchForm
from support_community.kb.links import article_path, article_url
from support_community.kb.models import Visibility
from support_community.kb.rendering import render_markdown
from support_community.kb.services import articles, feedback, search
from support_community.kb.views import bp
from support_community.kb.views.context import person_or_none, reader_audience
from support_community.permissions import has_capability

# The versions this browser voted on already (kept in the server-side session, the newest last).
VOTED = "kb_voted"
VOTED_KEPT = 200
LANGUAGE_ROUTE = "<any(en, nl, fr):language>"


@bp.get("/kb")
@public
def index() -> ResponseReturnValue:
    language = current_language()
    products = catalog.products()
    form = SearchForm(request.args)
    form.set_choices(products, language)
    query_text = (form.q.data or "").strip()[: articles.QUERY_MAX]
    product = form.product.data if form.product.data in {p.key for p in products} else ""
    page = articles.page_number(request.args.get("page"))
    audience = reader_audience()
    if query_text:
        results = search.search(query_text, language=language, audience=audience, product=product, page=page)
        listing = None
    else:
        results = None
        listing = articles.published_list(language, audience, product=product, page=page)

    def page_url(number: int) -> str:
        return url_for(".index", q=query_text or None, product=product or None, page=number if number > 1 else None)

    return render_template(
        "kb/index.html", form=form, query_text=query_text, results=results, listing=listing, page_url=page_url
    )


@bp.get(f"/kb/{LANGUAGE_ROUTE}/<slug>")
@public
def article(language: str, slug: str) -> ResponseReturnValue:
    translation = articles.find_published(language, slug, reader_audience())
    if translation is None:
        abort(404)
    versions = articles.published_versions(translation.article)
    user = current_user()
    return render_template(
        "kb/article.html",
        translation=translation,
        html=render_markdown(translation.body),
        versions=versions,
        version_urls={version.language: article_url(version) for version in versions},
        voted=str(translation.id) in session.get(VOTED, []),
        feedback_form=FeedbackForm(),
        may_edit=has_capability(user, "kb.edit"),
        may_open_case=bool(user and user.has_organizations),
        Visibility=Visibility,
    )


@bp.post(f"/kb/{LANGUAGE_ROUTE}/<slug>/feedback")
@public
def vote(language: str, slug: str) -> ResponseReturnValue:
    """ "Was this helpful?": yes or no, counted once per browser session and article version."""
    translation = articles.find_published(language, slug, reader_audience())
    if translation is None:
        abort(404)
    answer = request.form.get("helpful")
    if not FeedbackForm().validate_on_submit() or answer not in ("yes", "no"):
        abort(400)
    voted = list(session.get(VOTED, []))
    if str(translation.id) in voted:
        flash(_("You already told us about this article. Thank you!"), "success")
    else:
        feedback.record_vote(translation, helpful=answer == "yes", actor=person_or_none())
        db.session.commit()
        session[VOTED] = (voted + [str(translation.id)])[-VOTED_KEPT:]
        if answer == "yes":
            flash(_("Thank you! We are glad the article helped."), "success")
        else:
            flash(_("Thank you. We will use your answer to improve the article."), "success")
    return redirect(article_path(translation) + "#feedback")
