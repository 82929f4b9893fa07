"""The agents' side: the queue across organizations, a case's whole file, replies, notes, status, severity, assignee.

Every route needs the ``agent`` scope and a caller who is a support agent (the person's
roles, as for the agents' pages), or the vendor's integration acting with that scope.
"""

from __future__ import annotations

import uuid

from flask import abort, jsonify
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
    agent_case_summary,
    agent_case_url,
    attachment_out,
    case_etag,
    event_out,
    message_out,
    refused,
)
from support_community.auth.session import signed_in_user
from support_community.cases.models import Case, Status
from support_community.cases.services import assignment, conversation, loading, statuses
from support_community.cases.services import queue as queue_service
from support_community.cases.services.errors import CaseError
from support_community.cases.services.severity import change_severity
from support_community.cases.views.downloads import attachment_download
from support_community.extensions import db
from support_community.permissions import has_capability

ETAG = {"ETag": "The case's version, for If-Match."}


def _case_or_404(case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    case = loading.find_any_case(case_id, for_update=for_update)
    if case is None:
        abort(404)
    return case


def _detail(case: Case, status: int = 200) -> ResponseReturnValue:
    file = conversation.case_file(case)
    body = schemas.AgentCaseDetail(
        **agent_case_summary(case).model_dump(),
        messages=[message_out(message, file.attachments.get(message.id, []), agent=True) for message in file.messages],
        events=[event_out(event) for event in file.events],
        attachments=[attachment_out(item, agent=True) for item in file.attachments.get(None, [])],
    )
    response = jsonify(body.model_dump(mode="json"))
    response.status_code = status
    response.headers["ETag"] = case_etag(case)
    return response


@bp.get("/agent/cases")
@api_scope("agent", capability="agent.queue")
@operation(
    summary="The agents' queue: every organization's cases",
    description="The queue's filters; unlike the page, nothing is remembered, and `assignee` is `any` by default.",
    tags=["agents"],
    query=schemas.QueueQuery,
    responses={200: Answer(schemas.AgentCaseList, headers={"Link": 'The next page, rel="next".'})},
)
def agent_queue() -> ResponseReturnValue:
    args = query_args(schemas.QueueQuery)
    page = int((decode_cursor(args.cursor) or {}).get("page", 1))
    filters = queue_service.QueueFilters.parse(
        {name: value for name, value in args.model_dump().items() if isinstance(value, str)}
    )
    result = queue_service.queue(filters, agent=acting_person(), page=page, per_page=args.limit)
    db.session.commit()
    more = result.page == page and result.page * result.per_page < result.total
    link = next_url(encode_cursor({"page": page + 1})) if more else None
    body = schemas.AgentCaseList(
        items=[agent_case_summary(case) for case in result.cases] if result.page == page else [],
        counts={status.value: result.counts.get(status, 0) for status in Status},
        counts_are_lower_bounds=result.capped,
        next=link,
    )
    return add_link_header(jsonify(body.model_dump(mode="json")), link)


@bp.get("/agent/cases/<uuid:case_id>")
@api_scope("agent", capability="agent.case.view")
@operation(
    summary="A case's whole file, internal notes included",
    tags=["agents"],
    responses={200: Answer(schemas.AgentCaseDetail, headers=ETAG)},
)
def agent_case_detail(case_id: uuid.UUID) -> ResponseReturnValue:
    return _detail(_case_or_404(case_id))


def _message(case_id: uuid.UUID, *, internal: bool) -> ResponseReturnValue:
    given = json_body(schemas.AgentMessage)
    case = _case_or_404(case_id, for_update=True)
    try:
        message = conversation.agent_reply(
            case, actor=acting_person(), body=given.body, internal=internal, status=given.status
        )
        db.session.commit()
    except (CaseError, statuses.StatusChangeError) as error:
        raise refused(error, status=409) from error
    response = jsonify(message_out(message, [], agent=True).model_dump(mode="json"))
    response.status_code = 201
    response.headers["Location"] = agent_case_url(case)
    return response


@bp.post("/agent/cases/<uuid:case_id>/replies")
@api_scope("agent", capability="agent.case.reply")
@operation(
    summary="Reply to the customer (optionally moving the case to a status)",
    tags=["agents"],
    body=schemas.AgentMessage,
    responses={201: Answer(schemas.MessageOut, headers={"Location": "The case's address."})},
)
def agent_reply(case_id: uuid.UUID) -> ResponseReturnValue:
    return _message(case_id, internal=False)


@bp.post("/agent/cases/<uuid:case_id>/notes")
@api_scope("agent", capability="agent.case.note")
@operation(
    summary="Add an internal note (never shown or mailed to the customer)",
    tags=["agents"],
    body=schemas.AgentMessage,
    responses={201: Answer(schemas.MessageOut, headers={"Location": "The case's address."})},
)
def agent_note(case_id: uuid.UUID) -> ResponseReturnValue:
    return _message(case_id, internal=True)


@bp.patch("/agent/cases/<uuid:case_id>")
@api_scope("agent", capability="agent.case.view")
@operation(
    summary="Change a case's status, severity or assignee",
    description="Members left out stay as they are; `assignee` null takes the case from whoever has it. "
    "Send `If-Match` with the ETag you read to refuse a change made from an old copy.",
    tags=["agents"],
    body=schemas.AgentCaseChange,
    if_match=True,
    responses={200: Answer(schemas.AgentCaseDetail, headers=ETAG)},
)
def agent_case_change(case_id: uuid.UUID) -> ResponseReturnValue:
    change = json_body(schemas.AgentCaseChange)
    case = _case_or_404(case_id, for_update=True)
    check_if_match(case_etag(case))
    user = signed_in_user()
    wanted = {
        "agent.case.status": change.status is not None or change.severity is not None,
        "agent.case.assign": "assignee" in change.model_fields_set,
    }
    if any(needed and not has_capability(user, capability) for capability, needed in wanted.items()):
        raise ApiProblem(403)
    agent = acting_person()
    try:
        if change.severity is not None:
            change_severity(case, change.severity, actor=agent)
        if "assignee" in change.model_fields_set:
            chosen = assignment.find_agent(change.assignee) if change.assignee else None
            if change.assignee and chosen is None:
                raise ApiProblem(
                    422, errors=[{"field": "assignee", "message": _("Cases can only be assigned to support agents.")}]
                )
            assignment.assign(case, chosen, actor=agent)
        if change.status is not None and change.status != case.status:
            statuses.change_status(
                case,
                change.status,
                actor=agent,
                comment=change.comment,
                by_agent=True,
                internal=change.comment_internal,
            )
        db.session.commit()
    except (statuses.StatusChangeError, assignment.AssignmentError) as error:
        raise refused(error, status=409) from error
    return _detail(case)


@bp.get("/agent/cases/<uuid:case_id>/attachments/<uuid:attachment_id>")
@api_scope("agent", capability="agent.case.view")
@operation(
    summary="Download a file of a case (internal ones too)",
    tags=["agents"],
    responses={
        200: Answer(
            schema={"type": "string", "contentMediaType": "application/octet-stream"},
            content_type="*/*",
            description="The file, in its own content type.",
            headers={"Content-Disposition": "attachment, with the file's name."},
        )
    },
)
def agent_attachment(case_id: uuid.UUID, attachment_id: uuid.UUID) -> ResponseReturnValue:
    return attachment_download(_case_or_404(case_id), attachment_id, internal_too=True)
