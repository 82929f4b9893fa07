"""An organization's cases: list, open, read, reply, close and reopen, follow, files.

Every route carries the organization (``/orgs/<org_id>/…``, the ids of the web pages and of
Panda's ``orgs``); ``permissions.can`` resolves it before the view runs, so an organization
the caller may not act for, and any case of it, is a 404.
"""

from __future__ import annotations

import uuid
from typing import BinaryIO, cast

from flask import abort, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from shared.access import api_scope
from shared.api import (
    Answer,
    ApiProblem,
    check_if_match,
    decode_cursor,
    encode_cursor,
    json_body,
    next_url,
    operation,
    query_args,
)
from shared.api.paging import add_link_header
from support_community.api import schemas
from support_community.api.blueprint import bp
from support_community.api.present import (
    acting_person,
    attachment_out,
    case_etag,
    case_summary,
    case_url,
    event_out,
    message_out,
    refused,
)
from support_community.auth import organizations
from support_community.auth.session import signed_in_user
from support_community.cases.forms.listing import case_filters
from support_community.cases.models import Case
from support_community.cases.services import attachments, conversation, creating, listing, loading, statuses
from support_community.cases.services.errors import CaseError
from support_community.cases.views.context import acting_organization, get_case_or_404
from support_community.cases.views.downloads import attachment_download
from support_community.extensions import db
from support_community.permissions import has_capability

ETAG = {"ETag": "The case's version, for If-Match."}
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}


def _detail(case: Case, status: int = 200) -> ResponseReturnValue:
    timeline = conversation.public_timeline(case)
    messages: list[schemas.MessageOut] = []
    events: list[schemas.EventOut] = []
    loose: list[schemas.AttachmentOut] = []
    for entry in timeline:
        if entry.message is not None:
            messages.append(message_out(entry.message, entry.attachments))
        elif entry.event is not None:
            events.append(event_out(entry.event))
        else:
            loose.extend(attachment_out(item) for item in entry.attachments)
    body = schemas.CaseDetail(
        **case_summary(case).model_dump(),
        following=conversation.is_following(case, signed_in_user().sub),
        can_reply=conversation.can_reply(case),
        can_close=statuses.customer_can_close(case),
        can_reopen=statuses.customer_can_reopen(case),
        messages=messages,
        events=events,
        attachments=loose,
    )
    response = jsonify(body.model_dump(mode="json"))
    response.status_code = status
    response.headers["ETag"] = case_etag(case)
    if status == 201:
        response.headers["Location"] = case_url(case)
    return response


@bp.get("/orgs/<uuid:org_id>/cases")
@api_scope("cases:read", capability="case.view")
@operation(
    summary="The organization's cases",
    description="The filters, search and sorts of the web list; cursor paging.",
    tags=["cases"],
    query=schemas.CaseListQuery,
    responses={200: Answer(schemas.CaseList, headers={"Link": 'The next page, rel="next".'})},
)
def case_list(org_id: uuid.UUID) -> ResponseReturnValue:
    args = query_args(schemas.CaseListQuery)
    offset = int((decode_cursor(args.cursor) or {}).get("offset", 0))
    filters = case_filters({k: v for k, v in args.model_dump().items() if isinstance(v, str)})
    query = listing.ordered(listing.organization_query(org_id, filters, viewer_sub=signed_in_user().sub), filters)
    rows = list(db.session.scalars(query.limit(args.limit + 1).offset(offset)).unique())
    link = next_url(encode_cursor({"offset": offset + args.limit})) if len(rows) > args.limit else None
    body = schemas.CaseList(items=[case_summary(case) for case in rows[: args.limit]], next=link)
    return add_link_header(jsonify(body.model_dump(mode="json")), link)


@bp.post("/orgs/<uuid:org_id>/cases")
@api_scope("cases:write", capability="case.create")
@operation(
    summary="Open a case in the organization's name",
    tags=["cases"],
    body=schemas.NewCase,
    responses={201: Answer(schemas.CaseDetail, headers={"Location": "The case's address.", **ETAG})},
)
def case_create(org_id: uuid.UUID) -> ResponseReturnValue:
    new = json_body(schemas.NewCase)
    try:
        case = creating.open_case(
            org=acting_organization(),
            actor=acting_person(),
            product_key=new.product,
            category_id=new.category_id,
            severity=new.severity,
            subject=new.subject,
            description=new.description,
        )
        organizations.remember_use(case.opened_by_sub, org_id)
        db.session.commit()
    except CaseError as error:
        raise refused(error) from error
    return _detail(case, 201)


@bp.get("/orgs/<uuid:org_id>/cases/<uuid:case_id>")
@api_scope("cases:read", capability="case.view")
@operation(
    summary="A case, with its public conversation",
    tags=["cases"],
    responses={200: Answer(schemas.CaseDetail, headers=ETAG)},
)
def case_detail(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    return _detail(get_case_or_404(org_id, case_id))


@bp.patch("/orgs/<uuid:org_id>/cases/<uuid:case_id>")
@api_scope("cases:write", capability="case.view")
@operation(
    summary="Close or reopen a case",
    description="`closed` closes it (optionally with a comment); `in_progress` reopens a solved or closed case "
    "within the reopening period. Send `If-Match` with the ETag you read to refuse a change made from an old copy.",
    tags=["cases"],
    body=schemas.CaseChange,
    if_match=True,
    responses={200: Answer(schemas.CaseDetail, headers=ETAG)},
)
def case_change(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    change = json_body(schemas.CaseChange)
    case = loading.find_any_case(case_id, for_update=True)  # locked: two changes from one copy cannot both pass
    if case is None or case.organization_id != org_id:
        abort(404)
    check_if_match(case_etag(case))
    capability = "case.close" if change.status == "closed" else "case.reopen"
    if not has_capability(signed_in_user(), capability, acting_organization()):
        raise ApiProblem(403)
    try:
        if change.status == "closed":
            conversation.close(case, actor=acting_person(), comment=change.comment)
        else:
            conversation.reopen(case, actor=acting_person())
        db.session.commit()
    except (CaseError, statuses.StatusChangeError) as error:
        raise refused(error, status=409) from error
    return _detail(case)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/replies")
@api_scope("cases:write", capability="case.reply")
@operation(
    summary="Reply on a case",
    tags=["cases"],
    body=schemas.NewReply,
    responses={201: Answer(schemas.MessageOut, headers={"Location": "The case's address."})},
)
def case_reply(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    reply = json_body(schemas.NewReply)
    case = get_case_or_404(org_id, case_id)
    try:
        message = conversation.customer_reply(case, actor=acting_person(), body=reply.body)
        db.session.commit()
    except CaseError as error:
        raise refused(error, status=409) from error
    response = jsonify(message_out(message, []).model_dump(mode="json"))
    response.status_code = 201
    response.headers["Location"] = case_url(case)
    return response


def _following(case: Case, follow: bool) -> ResponseReturnValue:
    if follow:
        conversation.follow(case, actor=acting_person())
    else:
        conversation.unfollow(case, actor=acting_person())
    db.session.commit()
    return jsonify(schemas.Following(following=follow).model_dump())


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/follow")
@api_scope("cases:write", capability="case.follow")
@operation(summary="Follow a case (mails when it changes)", tags=["cases"], responses={200: schemas.Following})
def case_follow(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    return _following(get_case_or_404(org_id, case_id), True)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/unfollow")
@api_scope("cases:write", capability="case.follow")
@operation(summary="Stop following a case", tags=["cases"], responses={200: schemas.Following})
def case_unfollow(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    return _following(get_case_or_404(org_id, case_id), False)


@bp.post("/orgs/<uuid:org_id>/cases/<uuid:case_id>/attachments")
@api_scope("cases:write", capability="case.attach")
@operation(
    summary="Add files to a case",
    description="`multipart/form-data` with one or more parts named `files`; the same types and sizes as on the "
    "web pages.",
    tags=["cases"],
    body=schemas.AttachmentUpload,
    body_content_type="multipart/form-data",
    responses={201: schemas.AttachmentList},
)
def case_attach(org_id: uuid.UUID, case_id: uuid.UUID) -> ResponseReturnValue:
    if request.mimetype != "multipart/form-data":
        raise ApiProblem(415, _("Send the files as multipart/form-data, in parts named files."))
    unknown = sorted(set(request.form) | set(request.files) - {"files"})
    if unknown:
        raise ApiProblem(
            422,
            _("Some fields are not valid."),
            errors=[{"field": name, "message": _("Unknown field.")} for name in unknown],
        )
    case = get_case_or_404(org_id, case_id)
    uploads = [
        attachments.Upload(filename=item.filename or "", stream=cast(BinaryIO, item.stream))
        for item in request.files.getlist("files")
        if item.filename
    ]
    try:
        added = conversation.add_attachments(case, actor=acting_person(), uploads=uploads)
        db.session.commit()
    except CaseError as error:
        raise refused(error, status=409) from error
    response = jsonify(schemas.AttachmentList(items=[attachment_out(item) for item in added]).model_dump(mode="json"))
    response.status_code = 201
    return response


@bp.get("/orgs/<uuid:org_id>/cases/<uuid:case_id>/attachments/<uuid:attachment_id>")
@api_scope("cases:read", capability="case.view")
@operation(
    summary="Download a file of a case",
    tags=["cases"],
    responses={
        200: Answer(
            schema=BINARY,
            content_type="*/*",
            description="The file, in its own content type.",
            headers={"Content-Disposition": "attachment, with the file's name."},
        )
    },
)
def download(org_id: uuid.UUID, case_id: uuid.UUID, attachment_id: uuid.UUID) -> ResponseReturnValue:
    return attachment_download(get_case_or_404(org_id, case_id), attachment_id)
