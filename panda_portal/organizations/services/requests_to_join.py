"""What waits for an administrator: the pending requests to join every organization they administer.

An administrator of hundreds of client organizations reads them on one page, a page at a
time, with a fixed number of statements, approves several at once with the same
application access, and rejects several at once after one confirmation. Each decision
goes through ``joining.approve_request`` (and ``members.update_membership``) or
``joining.reject_request``: the same rules, mails and audit events as one by one.

Only requests to join organizations the person administers can be decided here: an
approval or a rejection refuses the whole selection when one of its ids is not theirs
to decide (a tampered form), deciding nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.mfa.services.two_step import is_on_for
from panda_portal.organizations.enterprise_numbers import format_enterprise_number
from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role
from panda_portal.organizations.services import joining, members
from shared.errors import DomainError

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


class RequestsNotYoursError(DomainError):
    """A selected id is not a request to join an organization the person administers (or no longer)."""

    def __init__(self, *, approving: bool = False) -> None:
        if approving:
            message = _(
                "One of the selected requests is not a request to join an organization you administer. "
                "Nothing was approved."
            )
        else:
            message = _(
                "One of the selected requests is not a request to join an organization you administer. "
                "Nothing was rejected."
            )
        super().__init__(message)


class TooManySelectedError(DomainError):
    def __init__(self) -> None:
        super().__init__(_("Select at most %(num)s requests at once.", num=PER_PAGE))


def _administered_by(account: Account, *columns) -> Select:
    """Memberships of the organizations ``account`` administers (any status).

    An organization that requires two-step verification is administered only by administrators
    who have it: until they set it up, its requests neither show nor count here, and cannot be
    decided, as on the organization's own pages.
    """
    administered = aliased(Membership)
    organization = aliased(Organization)
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
        .join(
            organization,
            (organization.id == Membership.organization_id)
            & or_(organization.requires_two_step.is_(False), is_on_for(account.id)),
        )
    )


def _waiting_for(account: Account, *columns) -> Select:
    return _administered_by(account, *columns).where(Membership.status == MembershipStatus.PENDING)


_ENTRY_COLUMNS = (
    Membership.id,
    Organization.id,
    Organization.name,
    Organization.enterprise_number,
    Account.name,
    Account.email,
    Membership.requested_at,
    Membership.request_message,
)


def _with_entry_columns(query: Select) -> Select:
    return query.join(Organization, Organization.id == Membership.organization_id).join(
        Account, Account.id == Membership.account_id
    )


def waiting_count(account: Account) -> int:
    """How many requests wait for ``account``'s decision (one COUNT statement: it is in every page's menu)."""
    return int(db.session.scalar(_waiting_for(account, func.count())) or 0)


def waiting_requests(account: Account, page: int = 1, per_page: int = PER_PAGE) -> WaitingRequests:
    """One page of the requests ``account`` may decide, oldest first."""
    page = max(1, page)
    rows = db.session.execute(
        _with_entry_columns(_waiting_for(account, *_ENTRY_COLUMNS, func.count().over().label("total")))
        .order_by(Membership.requested_at, Membership.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return WaitingRequests([WaitingRequest(*row[:8]) for row in rows], rows[0].total if rows else 0, page, per_page)


@dataclass
class SeveralDecided:
    decided: list[Membership]
    already_decided: list[joining.RequestAlreadyDecidedError]


def approve_several(membership_ids: list[uuid.UUID], *, application_keys: list[str], actor: Account) -> SeveralDecided:
    """Approve these requests and give each the same application access.

    All or nothing as to who may decide: raises ``RequestsNotYoursError`` (approving none)
    when an id is not a request to join an organization ``actor`` administers,
    ``TooManySelectedError`` for more than a page, ``members.UnknownApplicationError``
    for an unknown application. A request someone else decided meanwhile is reported,
    not an error for the others.
    """
    members.check_applications(application_keys)
    selection = _checked_selection(membership_ids, actor, approving=True)
    found = list(selection.items())
    organizations = {
        organization.id: organization
        for organization in db.session.scalars(select(Organization).where(Organization.id.in_(set(selection.values()))))
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
        result.decided.append(membership)
    return result


# -- rejecting several -------------------------------------------------------------------------
@dataclass
class SelectedRequests:
    """The ticked requests still waiting (to confirm their rejection), and those decided meanwhile."""

    entries: list[WaitingRequest]
    already_decided: list[joining.RequestAlreadyDecidedError]


def _checked_selection(
    membership_ids: list[uuid.UUID], actor: Account, *, approving: bool = False
) -> dict[uuid.UUID, uuid.UUID]:
    """``{membership id: organization id}`` of the selection, or a refusal when any id is not ``actor``'s to decide."""
    ids = list(dict.fromkeys(membership_ids))
    if len(ids) > PER_PAGE:
        raise TooManySelectedError()
    found = {
        membership_id: organization_id
        for membership_id, organization_id in db.session.execute(
            _administered_by(actor, Membership.id, Membership.organization_id).where(
                Membership.id.in_(ids), Membership.requested_at.is_not(None)
            )
        )
    }
    if len(found) != len(ids):
        raise RequestsNotYoursError(approving=approving)
    return {membership_id: found[membership_id] for membership_id in ids}


def _decided_meanwhile(membership_ids: list[uuid.UUID]) -> list[joining.RequestAlreadyDecidedError]:
    if not membership_ids:
        return []
    decided = db.session.execute(select(Membership).where(Membership.id.in_(membership_ids))).unique().scalars()
    return [joining.RequestAlreadyDecidedError(membership) for membership in decided]


def selected_requests(membership_ids: list[uuid.UUID], *, actor: Account) -> SelectedRequests:
    """The selection to confirm before rejecting it; writes nothing.

    Raises ``RequestsNotYoursError`` when an id is not a request to join an organization
    ``actor`` administers, ``TooManySelectedError`` for more than a page.
    """
    selection = _checked_selection(membership_ids, actor)
    rows = db.session.execute(
        _with_entry_columns(_waiting_for(actor, *_ENTRY_COLUMNS).where(Membership.id.in_(list(selection)))).order_by(
            Membership.requested_at, Membership.id
        )
    ).all()
    entries = [WaitingRequest(*row) for row in rows]
    waiting = {entry.membership_id for entry in entries}
    return SelectedRequests(entries, _decided_meanwhile([i for i in selection if i not in waiting]))


def reject_several(membership_ids: list[uuid.UUID], *, actor: Account, message: str | None = None) -> SeveralDecided:
    """Reject these requests, each as ``joining.reject_request`` does (its mail, with ``message``, and audit event).

    All or nothing as to who may decide: raises ``RequestsNotYoursError`` (rejecting
    none) when an id is not a request to join an organization ``actor`` administers.
    A request decided meanwhile by someone else is reported, not an error for the others.
    """
    selection = _checked_selection(membership_ids, actor)
    organizations = {
        organization.id: organization
        for organization in db.session.scalars(select(Organization).where(Organization.id.in_(set(selection.values()))))
    }
    result = SeveralDecided([], [])
    for membership_id, organization_id in selection.items():
        try:
            membership = joining.reject_request(
                organizations[organization_id], membership_id, actor=actor, message=message
            )
        except joining.RequestAlreadyDecidedError as error:
            result.already_decided.append(error)
            continue
        result.decided.append(membership)
    return result
