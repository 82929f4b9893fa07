"""What waits for an administrator: the pending requests to join every organization they administer.

An administrator of hundreds of client organizations reads them on one page, a page at a
time, with a fixed number of statements, and approves several at once with the same
application access. Each decision goes through ``joining.approve_request`` and
``members.update_membership``: the same rules, mails and audit events as one by one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.enterprise_numbers import format_enterprise_number
from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role
from panda_portal.organizations.services import joining, members

PER_PAGE = 50


@dataclass
class WaitingRequest:
    membership_id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    enterprise_number: str
    requester_name: str
    requester_email: str
    requested_at: dt.datetime | None
    message: str | None

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number)


@dataclass
class WaitingRequests:
    entries: list[WaitingRequest]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _waiting_for(account: Account, *columns) -> Select:
    administered = aliased(Membership)
    return (
        select(*columns)
        .select_from(Membership)
        .join(
            administered,
            (administered.organization_id == Membership.organization_id)
            & (administered.account_id == account.id)
            & (administered.status == MembershipStatus.ACTIVE)
            & (administered.role == Role.ADMIN),
        )
        .where(Membership.status == MembershipStatus.PENDING)
    )


def waiting_count(account: Account) -> int:
    """How many requests wait for ``account``'s decision (one COUNT statement: it is in every page's menu)."""
    return int(db.session.scalar(_waiting_for(account, func.count())) or 0)


def waiting_requests(account: Account, page: int = 1, per_page: int = PER_PAGE) -> WaitingRequests:
    """One page of the requests ``account`` may decide, oldest first."""
    page = max(1, page)
    rows = db.session.execute(
        _waiting_for(
            account,
            Membership.id,
            Organization.id,
            Organization.name,
            Organization.enterprise_number,
            Account.name,
            Account.email,
            Membership.requested_at,
            Membership.request_message,
            func.count().over().label("total"),
        )
        .join(Organization, Organization.id == Membership.organization_id)
        .join(Account, Account.id == Membership.account_id)
        .order_by(Membership.requested_at, Membership.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return WaitingRequests([WaitingRequest(*row[:8]) for row in rows], rows[0].total if rows else 0, page, per_page)


@dataclass
class SeveralDecided:
    approved: list[Membership]
    already_decided: list[joining.RequestAlreadyDecidedError]


def approve_several(membership_ids: list[uuid.UUID], *, application_keys: list[str], actor: Account) -> SeveralDecided:
    """Approve these requests (those ``actor`` may decide) and give each the same application access.

    A request someone else decided meanwhile is reported, not an error for the others.
    Raises ``members.UnknownApplicationError`` for an unknown application.
    """
    members.check_applications(application_keys)
    ids = list(dict.fromkeys(membership_ids))[:PER_PAGE]
    found = [
        (membership_id, organization_id)
        for membership_id, organization_id in db.session.execute(
            _waiting_for(actor, Membership.id, Membership.organization_id).where(Membership.id.in_(ids))
        )
    ]
    organizations = {
        organization.id: organization
        for organization in db.session.scalars(
            select(Organization).where(Organization.id.in_({organization_id for _id, organization_id in found}))
        )
    }
    result = SeveralDecided([], [])
    for membership_id, organization_id in found:
        organization = organizations[organization_id]
        try:
            membership = joining.approve_request(organization, membership_id, actor=actor)
        except joining.RequestAlreadyDecidedError as error:
            result.already_decided.append(error)
            continue
        if application_keys:
            members.update_membership(membership, role=Role.MEMBER, application_keys=application_keys, actor=actor)
        result.approved.append(membership)
    return result
