"""The agents' article editor: the list, a new article, a language version (preview, draft, publish), history.

Routes under ``/agent/kb`` carry no organization: articles belong to no client. The
token's ``roles`` give support agents ``kb.edit`` and ``kb.publish``; anyone else gets 403.
Every button works without JavaScript: "Preview" sends the form and shows it rendered
(nothing is saved), "Save draft" adds a revision, "Save and publish" also puts it on the site.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from shared.access import requires
from shared.errors import report_error
from shared.i18n import LANGUAGES, current_language
from support_community.auth.session import current_user
from support_community.cases.forms.creating import category_id
from support_community.cases.services import catalog
from support_community.cases.views.context import acting_person
from support_community.extensions import db
from support_community.kb.forms.editing import ArticleForm, action_of, number_or_none
from support_community.kb.labels import language_label
from support_community.kb.links import article_path
from support_community.kb.models import Article, ArticleTranslation
from support_community.kb.rendering import render_markdown
from support_community.kb.services import articles, editing, feedback
from support_community.kb.services.errors import ArticleError, EditConflict
from support_community.kb.views import bp
from support_community.permissions import has_capability

LANGUAGE_ROUTE = "<any(en, nl, fr):language>"


def _article_or_404(article_id: uuid.UUID) -> Article:
    article = articles.find_article(article_id)
    if article is None:
        abort(404)
    return article


def _form(article: Article | None, translation: ArticleTranslation | None) -> ArticleForm:
    """The editor's form: posted values, else the last revision and the article's settings."""
    if request.method == "POST":
        form = ArticleForm()
    else:
        latest = articles.latest_revision(translation)
        form = ArticleForm(
            data={
                "language": current_language(),
                "title": latest.title if latest else "",
                "body": latest.body if latest else "",
                "product": article.product_key if article and article.product_key else "",
                "category": str(article.category_id) if article and article.category_id else "",
                "visibility": article.visibility.value if article else "public",
                "base_revision": str(translation.latest_revision if translation else 0),
            }
        )
    form.set_choices(catalog.products(include_inactive=True), catalog.categories(), current_language())
    return form


def _render(
    form: ArticleForm,
    *,
    article: Article | None,
    language: str | None,
    status: int = 200,
    preview: Any = None,
) -> ResponseReturnValue:
    translation = article.translation(language) if article and language else None
    references = []
    if article is not None:
        for other in article.translations:
            latest = articles.latest_revision(other) if other.language != language else None
            if latest is not None:
                references.append((other.language, latest.title, render_markdown(latest.body)))
    return render_template(
        "kb/editor/edit.html",
        form=form,
        article=article,
        language=language,
        translation=translation,
        preview=preview,
        references=references,
        missing=articles.missing_languages(article) if article else [],
        counts=feedback.counts_by_language(article) if article else {},
        may_publish=has_capability(current_user(), "kb.publish"),
        languages=LANGUAGES,
    ), status


def _saved_message(saved: editing.Saved) -> str:
    language = language_label(saved.translation.language)
    if saved.published:
        return _("The version in %(language)s is published.", language=language)
    if saved.new_revision and saved.translation.is_published:
        return _(
            "Your changes are saved as version %(number)s. Readers see the published version until you publish them.",
            number=saved.translation.latest_revision,
        )
    if saved.new_revision:
        return _("Your draft is saved as version %(number)s.", number=saved.translation.latest_revision)
    if saved.settings_changed:
        return _("The article's settings are saved.")
    return _("Nothing was changed.")


def _save(form: ArticleForm, article: Article | None, language: str | None) -> ResponseReturnValue:
    """The POST of the editor: preview, save a draft, or save and publish."""
    action = action_of(request.form.get("action"))
    if not form.validate_on_submit():
        return _render(form, article=article, language=language, status=400)
    if action == "preview":
        return _render(form, article=article, language=language, preview=render_markdown(form.body.data))
    if action == "publish" and not has_capability(current_user(), "kb.publish"):
        abort(403)
    values = {
        "actor": acting_person(),
        "title": form.title.data,
        "body": form.body.data,
        "product_key": form.product.data or None,
        "category_id": category_id(form.category.data),
        "visibility": form.visibility.data,
        "publish": action == "publish",
    }
    try:
        if article is None:
            saved = editing.create_article(language=form.language.data, **values)
        else:
            saved = editing.save_translation(
                article, language or "", base_revision=number_or_none(form.base_revision.data), **values
            )
        db.session.commit()
    except ArticleError as error:
        db.session.rollback()
        report_error(error, form)
        article = articles.find_article(article.id) if article is not None else None
        return _render(form, article=article, language=language, status=409 if isinstance(error, EditConflict) else 400)
    flash(_saved_message(saved), "success")
    return _to_editor(saved.translation)


def _to_editor(translation: ArticleTranslation) -> Response:
    return redirect(url_for(".edit", article_id=translation.article_id, language=translation.language))


@bp.get("/agent/kb")
@requires("kb.edit")
def editor_list() -> ResponseReturnValue:
    query_text = (request.args.get("q") or "").strip()[: articles.QUERY_MAX]
    page = articles.editor_list(query_text, page=articles.page_number(request.args.get("page")))
    return render_template(
        "kb/editor/list.html",
        page=page,
        query_text=query_text,
        languages=LANGUAGES,
        title_for=articles.title_for,
        page_url=lambda number: url_for(".editor_list", q=query_text or None, page=number if number > 1 else None),
    )


@bp.route("/agent/kb/new", methods=["GET", "POST"])
@requires("kb.edit")
def new_article() -> ResponseReturnValue:
    form = _form(None, None)
    if request.method == "POST":
        return _save(form, None, None)
    return _render(form, article=None, language=None)


@bp.route(f"/agent/kb/<uuid:article_id>/{LANGUAGE_ROUTE}", methods=["GET", "POST"])
@requires("kb.edit")
def edit(article_id: uuid.UUID, language: str) -> ResponseReturnValue:
    """A language version: its last revision in the form, or an empty form to write a missing version."""
    article = _article_or_404(article_id)
    form = _form(article, article.translation(language))
    if request.method == "POST":
        return _save(form, article, language)
    return _render(form, article=article, language=language)


def _translation_or_404(article_id: uuid.UUID, language: str) -> ArticleTranslation:
    translation = _article_or_404(article_id).translation(language)
    if translation is None:
        abort(404)
    return translation


@bp.post(f"/agent/kb/<uuid:article_id>/{LANGUAGE_ROUTE}/publish")
@requires("kb.publish")
def publish(article_id: uuid.UUID, language: str) -> ResponseReturnValue:
    translation = _translation_or_404(article_id, language)
    try:
        changed = editing.publish_latest(translation, actor=acting_person())
    except ArticleError as error:
        db.session.rollback()
        report_error(error)
        return _to_editor(translation)
    db.session.commit()
    if changed:
        flash(_("The version in %(language)s is published.", language=language_label(language)), "success")
    else:
        flash(_("Nothing was changed."), "success")
    return _to_editor(translation)


@bp.post(f"/agent/kb/<uuid:article_id>/{LANGUAGE_ROUTE}/unpublish")
@requires("kb.publish")
def unpublish(article_id: uuid.UUID, language: str) -> ResponseReturnValue:
    translation = _translation_or_404(article_id, language)
    changed = editing.unpublish(translation, actor=acting_person())
    db.session.commit()
    if changed:
        flash(
            _(
                "The version in %(language)s is no longer on the site. It is kept as a draft.",
                language=language_label(language),
            ),
            "success",
        )
    else:
        flash(_("Nothing was changed."), "success")
    return _to_editor(translation)


@bp.get(f"/agent/kb/<uuid:article_id>/{LANGUAGE_ROUTE}/history")
@requires("kb.edit")
def history(article_id: uuid.UUID, language: str) -> ResponseReturnValue:
    """Every saved version (who and when), and one of them shown in full (``?revision=N``)."""
    translation = _translation_or_404(article_id, language)
    revisions = articles.revisions(translation)
    chosen_number = number_or_none(request.args.get("revision")) or translation.latest_revision
    chosen = next((r for r in revisions if r.number == chosen_number), None)
    if chosen is None and request.args.get("revision"):
        abort(404)
    return render_template(
        "kb/editor/history.html",
        translation=translation,
        revisions=revisions,
        chosen=chosen,
        chosen_html=render_markdown(chosen.body) if chosen else None,
        public_path=article_path(translation),
    )
