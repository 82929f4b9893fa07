"""What Panda's API reads and answers (pydantic models; their JSON Schema is in the OpenAPI document)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RoleName = Literal["admin", "member"]
Language = Literal["en", "nl", "fr"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Me(BaseModel):
    """Who the token belongs to."""

    sub: str = Field(description="The person's id, or the client id of a client-credentials token.")
    person: bool
    token_type: Literal["access_token", "personal_access_token"]
    client_id: str | None = None
    scopes: list[str]


class Organization(BaseModel):
    id: uuid.UUID
    name: str
    customer_number: str
    enterprise_number: str = Field(
        description="As the `orgs` claim and the Support Community's API write it: 0403.170.701.",
        examples=["0403.170.701"],
    )
    role: RoleName | None = Field(default=None, description="The caller's role here (absent for the vendor's lists).")


class OrganizationPage(BaseModel):
    items: list[Organization]
    next: str | None = Field(default=None, description="The next page's address; absent on the last page.")


class Member(BaseModel):
    id: uuid.UUID = Field(description="The membership's id.")
    account_id: uuid.UUID
    name: str
    email: str
    role: RoleName
    applications: list[str] = Field(description="The applications this member may use for the organization.")
    active_since: dt.datetime | None = None


class MemberPage(BaseModel):
    items: list[Member]
    next: str | None = None


class MemberChange(Strict):
    """What to change; what is left out stays."""

    role: RoleName | None = None
    applications: list[str] | None = Field(default=None, max_length=50)


class JoinRequest(BaseModel):
    id: uuid.UUID = Field(description="The request's (membership's) id.")
    account_id: uuid.UUID
    name: str
    email: str
    message: str | None = None
    requested_at: dt.datetime | None = None


class JoinRequestPage(BaseModel):
    items: list[JoinRequest]
    next: str | None = None


class Decision(Strict):
    message: str | None = Field(default=None, max_length=2000, description="Told to the requester by mail.")


class Invitation(BaseModel):
    id: uuid.UUID
    email: str
    role: RoleName
    applications: list[str]
    language: str
    created_at: dt.datetime
    expires_at: dt.datetime


class InvitationPage(BaseModel):
    items: list[Invitation]
    next: str | None = None


class NewInvitation(Strict):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    role: RoleName = "member"
    applications: list[str] = Field(default_factory=list, max_length=50)
    language: Language = "en"


class Customer(Strict):
    customer_number: str = Field(min_length=1, max_length=32)
    enterprise_number: str = Field(min_length=1, max_length=20, description="With or without dots and spaces.")
    name: str = Field(min_length=1, max_length=300)
    contact_email: str | None = Field(default=None, max_length=254, description="Left out: kept; empty: cleared.")
    language: str | None = Field(default=None, max_length=5, description="Left out: kept; empty: cleared.")


class CustomersUpsert(Strict):
    customers: list[Customer] = Field(min_length=1, max_length=5000)


class Rejected(BaseModel):
    index: int = Field(description="The position of the customer in the request (from 0).")
    reason: str


class UpsertReport(BaseModel):
    added: int
    updated: int
    unchanged: int
    rejected: list[Rejected]


class PageQuery(Strict):
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=25, ge=1, le=100)


class SearchQuery(PageQuery):
    q: str | None = Field(default=None, max_length=200, description="Part of a name, customer or enterprise number.")
