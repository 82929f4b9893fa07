"""The customer side of cases: lists, a new case, the conversation, files, closing, following.

Every organization-owned route carries the organization in its URL and declares
the capability it needs; ``permissions.can`` has answered 404 before the view runs
when the token does not list that organization. A case is always loaded with
``get_case_or_404(org_id, case_id)``, which filters by that organization.
"""
from __future__ import annotations

import logging
import unicodedata
import uuid
from urllib.parse import quote

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for)
from flask_babel import format_datetime, format_decimal, format_number
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import wrap_file

from shared.access import authenticated, public, requires
from support_community.auth.session import Organization, current_user
from support_community.cases import forms
from support_community.cases.labels import author_label, severity_label, status_label
from support_community.cases.models import Attachment, Case, Person
from support_community.cases.rendering import render_text
from support_community.cases.services import attachments, catalog, conversation, creating, listing, people, statuses
from support_community.cases.services.errors import CaseError
from support_community.extensions import db
from support_community.permissions import current_org, organization_for

log = logging.getLogger(__name__)

bp = Blueprint("cases", __name__)


# -- template helpers ---------------------------------------------------------------------------
@bp.app_template_filter("status_label")
def _status_label(value) -> str:
    return status_label(value)


@bp.app_template_filter("severity_label")
def _severity_label(value) -> str:
    return severity_label(value)


@bp.app_template_filter("user_text")
def _user_text(value: str | None):
    return render_text(value)


@bp.app_template_filter("datetime")
def _datetime(value, format: str = "medium") -> str:
    return format_datetime(value, format) if value else ""


@bp.app_template_filter("filesize")
def _filesize(size: int) -> str:
    """A file's size in the page's language: "1.5 MB", "1,5 MB", "1,5 Mo"."""
    if size < 1024:
        return ngettext("%(size)s byte", "%(size)s bytes", size, size=format_number(size))
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(round(size / 1024), "#,##0"))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1), "#,##0.0"))


@bp.app_context_processor
def _case_helpers() -> dict:
    return {"author_label": author_label, "language": catalog.current_language()}


# -- loading ----------------------------------------------------------------------------------
def get_case_or_404(org_id: uuid.UUID | str, case_id: uuid.UUID | str) -> Case:
    """The case, only if it belongs to the organization in the URL (itself checked against the token)."""
    case = conversation.find_case(org_id, case_id)
    if case is None:
        abort(404)
    return case


def _actor() -> Person:
    user = current_user()
    if user is None:  # the access rule has made sure of it
        abort(401)
    return people.person_for(user)


def _list_url(filters: listing.CaseFilters, endpoint: str, **changes) -> str:
    """The list's URL with ``filters`` changed by ``changes`` (empty values dropped)."""
    values = {"status": filters.status, "severity": filters.severity, "product": filters.product,
              "opener": filters.opener, "q": filters.q, "sort": filters.sort, "direction": filters.direction,
              "page": filters.page, "org": filters.organization}
    values.update(changes)
    defaults = {"sort": "activity", "direction": "desc", "page": 1}
    arguments = {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}
    return url_for(endpoint, **(request.view_args or {}), **arguments)


# -- start pages ------------------------------------------------------------------------------
@bp.get("/")
@public
def home():
    return render_template("cases/home.html")


@bp.get("/orgs/<uuid:org_id>/")
@requires("org.view")
def org_home(org_id):
    """The organization's start page: whom the person is acting for, and its latest cases."""
    page = listing.organization_cases(org_id, listing.CaseFilters(status="open"), viewer_sub=current_user().sub)
    return render_template("cases/org_home.html", org=current_org(), page=page)


# -- the organization's list ------------------------------------------------------------------------
@bp.get("/orgs/<uuid:org_id>/cases")
@requires("case.view")
def case_list(org_id):
    filters = forms.case_filters(request.args)
    page = listing.organization_cases(org_id, filters, viewer_sub=current_user().sub)
    return render_template(
        "cases/list.html", org=current_org(), page=page, filters=filters,
        products=catalog.products(include_inactive=True), openers=listing.openers(org_id),
        status_choices=forms.status_filter_choices(), severity_choices=forms.severity_choices(),
        list_url=lambda **changes: _list_url(filters, "cases.case_list", **changes),
    )


# -- a new case ---------------------------------------------------------------------------------
@bp.route("/orgs/<uuid:org_id>/cases/new", methods=["GET", "POST"])
@requires("case.create")
def new_case(org_id):
    products, categories = catalog.products(), catalog.categories()
    form = forms.NewCaseForm()
    form.set_choices(products, categories, catalog.current_language())
    status = 200
    if form.validate_on_submit():
        try:
            case = creating.open_case(
                org=current_org(), actor=_actor(), product_key=form.product.data,
                category_id=forms.category_id(form.category.data), severity=form.severity.data,
                subject=form.subject.data, description=form.description.data,
                uploads=forms.uploads(form.attachments))
            db.session.commit()
        except CaseError as error:
            db.session.rollback()
            _show_error(form, error, default="description")
            status = 400
        else:
            flash(_("Case %(number)s was opened. You will hear from us by e-mail.", number=case.number), "success")
            return redirect(url_for(".case_detail", org_id=org_id, case_id=case.id))
    elif form.is_submitted():
        status = 400
    return render_template("cases/new.html", org=current_org(), form=form, products=products,
                           categories=categories, limits=_limits()), status


def _show_error(form, error: CaseError, *, default: str) -> None:
    """The service's message next to the field it is about."""
    field = form._fields.get(error.field or "") or form._fields[default]
    field.errors = [*field.errors, error.message]


def _limits() -> dict:
    return {"file_mb": current_app.config["ATTACHMENT_MAX_MB"],
            "case_mb": current_app.config["ATTACHMENTS_PER_CASE_MAX_MB"],
            "types": attachments.allowed_types_text(), "count": attachments.FILES_PER_UPLOAD}


# -- one case ---------------------------------------------------------------------------------
def _detail_page(case: Case, *, reply_form: forms.ReplyForm | None = None,
                 attach_form: forms.AttachForm | None = None, close_form: forms.CloseForm | None = None,
                 status: int = 200):
    user = current_user()
    page = render_template(
        "cases/detail.html", org=current_org(), case=case, timeline=conversation.public_timeline(case),
        following=conversation.is_following(case, user.sub),
        can_reply=conversation.can_reply(case), can_close=statuses.customer_can_close(case),
        can_reopen=statuses.customer_can_reopen(case),
        reopen_days=current_app.config["CASE_REOPEN_DAYS"],
        reply_form=reply_form or forms.ReplyForm(formdata=None),
        attach_form=attach_form or forms.AttachForm(formdata=None),
        close_form=close_form or forms.CloseForm(formdata=None),
        action_form=forms.ActionForm(formdata=None), limits=_limits(),
    )
    return page, status


@bp.get("/orgs/<uuid:org_id>/cases/<uuid:case_id>")
@requires("case.view")
def case_detail(org_id, case_id):
    return _detail_page(get_case_or_404(org_id, case_id))


def _back_to(case: Case, anchor: str | None = None) -> Response:
    return redirect(url_for(".case_detail", org_id=case.organization_id, case_id=case.id, _anchor=anchor))


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/reply")
@requires("case.reply")
def reply(org_id, case_id):
    case = get_case_or_404(org_id, case_id)
    form = forms.ReplyForm()
    if not form.validate_on_submit():
        return _detail_page(case, reply_form=form, status=400)
    try:
        message = conversation.reply(case, actor=_actor(), body=form.body.data, uploads=forms.uploads(form.attachments))
        db.session.commit()
    except CaseError as error:
        db.session.rollback()
        _show_error(form, error, default="body")
        return _detail_page(get_case_or_404(org_id, case_id), reply_form=form, status=400)
    flash(_("Your reply was added to case %(number)s.", number=case.number), "success")
    return _back_to(case, f"message-{message.id}")


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/attachments")
@requires("case.attach")
def attach(org_id, case_id):
    case = get_case_or_404(org_id, case_id)
    form = forms.AttachForm()
    if not form.validate_on_submit():
        return _detail_page(case, attach_form=form, status=400)
    try:
        added = conversation.add_attachments(case, actor=_actor(), uploads=forms.uploads(form.files))
        db.session.commit()
    except CaseError as error:
        db.session.rollback()
        _show_error(form, error, default="files")
        return _detail_page(get_case_or_404(org_id, case_id), attach_form=form, status=400)
    flash(ngettext("%(num)s file was added to case %(number)s.", "%(num)s files were added to case %(number)s.",
                   len(added), number=case.number), "success")
    return _back_to(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/close")
@requires("case.close")
def close(org_id, case_id):
    case = get_case_or_404(org_id, case_id)
    form = forms.CloseForm()
    if not form.validate_on_submit():
        return _detail_page(case, close_form=form, status=400)
    try:
        conversation.close(case, actor=_actor(), comment=form.comment.data)
        db.session.commit()
    except (CaseError, statuses.StatusChangeError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back_to(case)
    flash(_("Case %(number)s is closed.", number=case.number), "success")
    return _back_to(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/reopen")
@requires("case.reopen")
def reopen(org_id, case_id):
    case = get_case_or_404(org_id, case_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    try:
        conversation.reopen(case, actor=_actor())
        db.session.commit()
    except (CaseError, statuses.StatusChangeError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back_to(case)
    flash(_("Case %(number)s is open again.", number=case.number), "success")
    return _back_to(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/follow")
@requires("case.follow")
def follow(org_id, case_id):
    case = get_case_or_404(org_id, case_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    conversation.follow(case, actor=_actor())
    db.session.commit()
    flash(_("You follow case %(number)s: you will get an e-mail when it changes.", number=case.number), "success")
    return _back_to(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/unfollow")
@requires("case.follow")
def unfollow(org_id, case_id):
    case = get_case_or_404(org_id, case_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    conversation.unfollow(case, actor=_actor())
    db.session.commit()
    flash(_("You no longer follow case %(number)s.", number=case.number), "success")
    return _back_to(case)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name as ``filename*`` (RFC 6266/8187)."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(ch if ch.isprintable() and ch not in '"\\' else "_" for ch in fallback).strip() or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/orgs/<uuid:org_id>/cases/<uuid:case_id>/attachments/<uuid:attachment_id>")
@requires("case.view")
def download(org_id, case_id, attachment_id):
    case = get_case_or_404(org_id, case_id)
    attachment: Attachment | None = attachments.find_public_attachment(case, attachment_id)
    if attachment is None:
        abort(404)
    try:
        content = attachments.open_content(attachment)
    except FileNotFoundError:
        log.error("attachment %s of case %s is missing from storage", attachment.id, case.number)
        abort(404)
    response = current_app.response_class(wrap_file(request.environ, content), direct_passthrough=True)
    response.headers["Content-Type"] = attachment.content_type
    response.headers["Content-Length"] = str(attachment.size)
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # Should a browser render it anyway, it runs nothing and reaches nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- across all clients -------------------------------------------------------------------------
def _organizations_matching(orgs: tuple[Organization, ...], wanted: str) -> list[Organization]:
    if not wanted:
        return list(orgs)
    exact = next((org for org in orgs if str(org.id).lower() == wanted.lower()), None)
    return [exact] if exact else [org for org in orgs if org.matches(wanted)]


@bp.get("/cases")
@authenticated
def all_clients():
    """The open cases of every organization in the token, in one list."""
    user = current_user()
    filters = forms.case_filters(request.args, across=True)
    chosen = _organizations_matching(user.orgs, filters.organization)
    page = listing.open_cases_across([org.id for org in chosen], filters)
    by_id = {str(org.id).lower(): org for org in user.orgs}
    return render_template(
        "cases/all_clients.html", page=page, filters=filters, orgs=user.orgs, organizations=by_id,
        status_choices=forms.status_filter_choices(open_only=True), severity_choices=forms.severity_choices(),
        organization_select=len(user.orgs) <= current_app.config["ORGANIZATION_SELECT_LIMIT"],
        list_url=lambda **changes: _list_url(filters, "cases.all_clients", **changes),
    )


@bp.get("/cases/new")
@authenticated
def choose_organization():
    """A new case always belongs to an organization: choose it first."""
    user = current_user()
    query = (request.args.get("q") or "").strip()[:100]
    if len(user.orgs) == 1 and not query:
        return redirect(url_for(".new_case", org_id=user.orgs[0].id))
    orgs = [org for org in user.orgs if org.matches(query)]
    return render_template("cases/choose_organization.html", orgs=orgs, query=query, total=len(user.orgs))


# -- a request too large for any form ----------------------------------------------------------------
@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """Files over the request limit: a page that says so, with the way back to the form."""
    user = current_user()
    back = url_for(".home")
    if user is not None and organization_for(user, (request.view_args or {}).get("org_id")) is not None:
        # The form's page: the case for a reply or files, the form itself for a new case.
        back = request.path.rsplit("/", 1)[0] if request.path.endswith(("/reply", "/attachments", "/close")) \
            else request.path
    return render_template("cases/too_large.html", limits=_limits(), back=back), 413

