"""The shapes the community's API reads and answers (pydantic models; the OpenAPI document is made from them)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api import DEFAULT_LIMIT, MAX_LIMIT
from support_community.cases.models import Severity, Status
from support_community.cases.services.queue import COUNT_LIMIT


class Strict(BaseModel):
    """A request body: unknown members are refused (a misspelt field is an error, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


# -- organizations ------------------------------------------------------------------------------------
class Organization(BaseModel):
    id: uuid.UUID
    name: str
    enterprise_number: str
    customer_number: str
    role: str = Field(description="The caller's role there in Panda: `member` or `admin`.")


class OrganizationList(BaseModel):
    items: list[Organization]
    next: str | None = Field(description="The next page's address; absent on the last page.")


class OrganizationQuery(BaseModel):
    q: str = Field(default="", max_length=100, description="Part of the name, customer or enterprise number.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, description="The `next` cursor of the previous page.")


# -- cases --------------------------------------------------------------------------------------------
class PersonRef(BaseModel):
    sub: str
    name: str


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    created_at: dt.datetime
    internal: bool = False
    download_url: str


class CaseSummary(BaseModel):
    id: uuid.UUID
    number: str
    organization_id: uuid.UUID
    organization_name: str
    subject: str
    status: Status
    severity: Severity
    product: str = Field(description="The product's key.")
    category_id: int | None
    opened_by: PersonRef
    created_at: dt.datetime
    last_activity_at: dt.datetime
    url: str


class CaseList(BaseModel):
    items: list[CaseSummary]
    next: str | None = Field(description="The next page's address; absent on the last page.")


class CaseListQuery(BaseModel):
    status: Literal["", "open", "new", "in_progress", "waiting_for_customer", "solved", "closed"] = Field(
        default="", description="`open` (not solved or closed) or one status; all when empty."
    )
    severity: Severity | Literal[""] = ""
    product: str = Field(default="", max_length=64, description="A product's key.")
    opener: str = Field(default="", max_length=64, description="`me`, or the `sub` of who opened the case.")
    q: str = Field(default="", max_length=200, description="Words in the subject or the conversation, or a number.")
    sort: Literal["activity", "created", "severity", "status", "number"] = "activity"
    direction: Literal["desc", "asc"] = "desc"
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, description="The `next` cursor of the previous page.")


class MessageOut(BaseModel):
    id: uuid.UUID
    kind: Literal["description", "reply", "internal_note"]
    body: str
    author: PersonRef
    by_agent: bool
    created_at: dt.datetime
    attachments: list[AttachmentOut]


class EventOut(BaseModel):
    field: str
    old_value: str | None
    new_value: str | None
    actor: PersonRef
    created_at: dt.datetime


class CaseDetail(CaseSummary):
    following: bool
    can_reply: bool
    can_close: bool
    can_reopen: bool
    messages: list[MessageOut]
    events: list[EventOut] = Field(description="Changes of status and severity.")
    attachments: list[AttachmentOut] = Field(description="Files added without a message.")


class NewCase(Strict):
    product: str = Field(min_length=1, max_length=64, description="A product's key.")
    category_id: int | None = Field(default=None, description="Required when the product has categories.")
    severity: Severity
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)


class NewReply(Strict):
    body: str = Field(min_length=1)


class CaseChange(Strict):
    """What a customer changes on a case: close it (with an optional comment) or reopen it."""

    status: Literal["closed", "in_progress"] = Field(description="`closed` closes, `in_progress` reopens.")
    comment: str | None = Field(default=None, description="Why it is closed (a public reply).")


class Following(BaseModel):
    following: bool


class AttachmentList(BaseModel):
    items: list[AttachmentOut]


class AttachmentUpload(Strict):
    """``multipart/form-data`` with one or more parts named ``files`` (and nothing else)."""

    files: list[bytes] = Field(
        json_schema_extra={"items": {"type": "string", "contentMediaType": "application/octet-stream"}}
    )


# -- agents -------------------------------------------------------------------------------------------
class AgentCaseSummary(CaseSummary):
    assignee: PersonRef | None
    next_due_at: dt.datetime | None


class AgentCaseList(BaseModel):
    items: list[AgentCaseSummary]
    counts: dict[str, int] = Field(description="Cases per status under these filters.")
    counts_are_lower_bounds: bool = Field(
        description=f"True when counting stopped at {COUNT_LIMIT:,} cases (a search, or a filter besides "
        "`assignee` and `status`, found more): each count is then at least that many, as the page's "
        f"“{COUNT_LIMIT:,}+”. False: the counts are exact."
    )
    next: str | None


class QueueQuery(BaseModel):
    status: Literal["open", "all", "new", "in_progress", "waiting_for_customer", "solved", "closed"] = "open"
    severity: Severity | Literal[""] = ""
    product: str = Field(default="", max_length=64)
    organization: str = Field(
        default="",
        max_length=200,
        description="Part of the organization's name, its customer or enterprise number, or its id.",
    )
    assignee: str = Field(
        default="any", max_length=64, description="`me`, `me_or_unassigned`, `unassigned`, `any` or an agent's sub."
    )
    sort: Literal["activity", "severity", "due"] = "activity"
    q: str = Field(default="", max_length=200)
    sla: Literal["", "breaching"] = ""
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class AgentCaseDetail(AgentCaseSummary):
    messages: list[MessageOut] = Field(description="The whole conversation, internal notes included.")
    events: list[EventOut]
    attachments: list[AttachmentOut] = Field(description="Files added without a message.")


class AgentMessage(Strict):
    body: str = Field(min_length=1)
    status: Status | None = Field(default=None, description="Move the case to this status in the same step.")


class AgentCaseChange(Strict):
    status: Status | None = None
    comment: str | None = Field(default=None, description="With `status`: a reply, or a note with `comment_internal`.")
    comment_internal: bool = False
    severity: Severity | None = None
    assignee: str | None = Field(
        default=None, description="An agent's sub, or null for nobody; leave it out to keep the assignee."
    )
