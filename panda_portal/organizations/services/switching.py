"""Switch organization: the organizations where someone is an active member.

An accountant may belong to thousands of organizations, so every reading here
is a fixed number of index-backed queries (``ix_memberships_account_status``)
that select plain columns, with the total counted by a window function in the
same statement. Nothing loads per organization.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.enterprise_numbers import format_enterprise_number
from panda_portal.organizations.models import (
    Application,
    ApplicationGrant,
    Invitation,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from panda_portal.organizations.services.two_step_requirement import held_back_condition
from shared.database import utcnow

MENU_SIZE = 10
PAGE_SIZE = 25
HOME_SIZE = 20
# "Switch organization": the organizations used last, the favourites, and search results.
RECENT_SIZE = 5
FAVOURITES_SIZE = 100
SEARCH_SIZE = 20
# No page lists more organizations than this.
PAGE_SIZE_MAX = 100
SORTS = ("name", "last_used")
ROLE_FILTERS = ("admin", "member")


@dataclass
class OrganizationEntry:
    """One organization in someone's list, with their role and accesses there."""

    membership_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    customer_number: str
    enterprise_number: str
    role: Role
    last_used_at: dt.datetime | None
    pinned_at: dt.datetime | None = None
    # The organization requires two-step verification, which the person has not set up:
    # they cannot work for it in the applications until they do.
    needs_two_step: bool = False
    application_keys: list[str] = field(default_factory=list)

    @property
    def pinned(self) -> bool:
        return self.pinned_at is not None

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


@dataclass
class OrganizationList:
    entries: list[OrganizationEntry]
    total: int
    page: int = 1
    per_page: int = MENU_SIZE
    query: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_more(self) -> bool:
        return self.total > len(self.entries)


def _active_memberships(account: Account) -> Select:
    return (
        select(
            Membership.id,
            Organization.id,
            Organization.name,
            Organization.customer_number,
            Organization.enterprise_number,
            Membership.role,
            Membership.last_used_at,
            Membership.pinned_at,
            held_back_condition(account.id).label("needs_two_step"),
            func.count().over().label("total"),
        )
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.account_id == account.id, Membership.status == MembershipStatus.ACTIVE)
    )


def _entries(statement: Select) -> tuple[list[OrganizationEntry], int]:
    rows = db.session.execute(statement).all()
    entries = [OrganizationEntry(*row[:8]) for row in rows]
    for entry, row in zip(entries, rows, strict=True):
        entry.needs_two_step = bool(row.needs_two_step)
    return entries, (rows[0].total if rows else 0)


def _most_recent_first(statement: Select) -> Select:
    # Portable "NULLS LAST": organizations never opened come after the used ones.
    return statement.order_by(
        Membership.last_used_at.is_(None), Membership.last_used_at.desc(), Organization.name, Organization.id
    )


def switcher_menu(account: Account, size: int = MENU_SIZE) -> OrganizationList:
    """The organizations of the Switch organization menu, most recently used first."""
    entries, total = _entries(_most_recent_first(_active_memberships(account)).limit(size))
    return OrganizationList(entries, total, per_page=size)


def favourites(account: Account, size: int = FAVOURITES_SIZE) -> OrganizationList:
    """The organizations the person pinned in their switcher, by name."""
    statement = (
        _active_memberships(account)
        .where(Membership.pinned_at.is_not(None))
        .order_by(func.lower(Organization.name), Organization.id)
        .limit(size)
    )
    entries, total = _entries(statement)
    return OrganizationList(entries, total, per_page=size)


def search_organizations(
    account: Account,
    query: str = "",
    page: int = 1,
    per_page: int = PAGE_SIZE,
    *,
    role: str | None = None,
    without_application: str | None = None,
    sort: str = "name",
    with_application_keys: bool = True,
) -> OrganizationList:
    """One page of the account's organizations, filtered by ``query``, role and application access.

    The query matches part of the name, of the customer number, or of the
    enterprise number typed in any usual form (``0403.170.701``, ``BE0403170701``,
    ``403170701``, ``170.701``). ``without_application`` keeps the organizations where
    the person lacks that application's access; ``sort`` is ``name`` or ``last_used``.
    """
    query = " ".join((query or "").split())[:100]
    page = max(1, page)
    per_page = min(max(1, per_page), PAGE_SIZE_MAX)
    statement = _active_memberships(account)
    if query:
        statement = statement.where(_matches(query))
    if role in ROLE_FILTERS:
        statement = statement.where(Membership.role == Role(role))
    if without_application:
        statement = statement.where(
            ~select(ApplicationGrant.membership_id)
            .where(
                ApplicationGrant.membership_id == Membership.id,
                ApplicationGrant.application_key == without_application,
            )
            .exists()
        )
    if sort == "last_used":
        statement = _most_recent_first(statement)
    else:
        statement = statement.order_by(func.lower(Organization.name), Organization.id)
    statement = statement.limit(per_page).offset((page - 1) * per_page)
    entries, total = _entries(statement)
    if with_application_keys:
        _add_application_keys(entries)
    return OrganizationList(entries, total, page=page, per_page=per_page, query=query)


def _matches(query: str) -> ColumnElement[bool]:
    conditions = [func.lower(Organization.name).contains(query.lower(), autoescape=True)]
    compact = re.sub(r"[\s.\-/]", "", query).upper()
    if compact:
        conditions.append(Organization.customer_number.contains(compact, autoescape=True))
    digits = compact[2:] if compact.startswith("BE") else compact
    if digits.isdigit():
        # Stored as ten digits: a nine-digit number without its leading 0 is contained too.
        conditions.append(Organization.enterprise_number.contains(digits, autoescape=True))
    return or_(*conditions)


def _add_application_keys(entries: list[OrganizationEntry]) -> None:
    if not entries:
        return
    by_membership = {entry.membership_id: entry for entry in entries}
    rows = db.session.execute(
        select(ApplicationGrant.membership_id, ApplicationGrant.application_key)
        .where(ApplicationGrant.membership_id.in_(list(by_membership)))
        .order_by(ApplicationGrant.application_key)
    )
    for membership_id, key in rows:
        by_membership[membership_id].application_keys.append(key)


def application_names(language: str) -> dict[str, str]:
    """Every application's name in ``language``, by key."""
    return {
        application.key: application.name(language)
        for application in db.session.scalars(select(Application).order_by(Application.position))
    }


@dataclass
class PendingRequest:
    membership_id: uuid.UUID
    organization_name: str
    enterprise_number: str
    requested_at: dt.datetime | None

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number)


@dataclass
class HomeOverview:
    organizations: OrganizationList
    requests: list[PendingRequest]
    open_invitations: int


def home_overview(account: Account, size: int = HOME_SIZE) -> HomeOverview:
    """What the home page shows: recent organizations, pending requests, open invitations."""
    organizations = switcher_menu(account, size)
    _add_application_keys(organizations.entries)
    requests = [
        PendingRequest(*row)
        for row in db.session.execute(
            select(Membership.id, Organization.name, Organization.enterprise_number, Membership.requested_at)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.account_id == account.id, Membership.status == MembershipStatus.PENDING)
            .order_by(Membership.requested_at.desc())
        )
    ]
    invitations = 0
    if account.is_verified:
        invitations = (
            db.session.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(
                    Invitation.email == account.email,
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                    Invitation.expires_at > utcnow(),
                )
            )
            or 0
        )
    return HomeOverview(organizations, requests, invitations)


def set_favourite(membership: Membership, pinned: bool) -> None:
    """Pin the organization in the member's switcher, or unpin it (per person: on their membership)."""
    value = utcnow() if pinned else None
    if (membership.pinned_at is not None) == pinned:
        return
    # A favourite is not a change to the membership: keep updated_at as it is.
    db.session.execute(
        update(Membership)
        .where(Membership.id == membership.id)
        .values(pinned_at=value, updated_at=Membership.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(membership, "pinned_at", value)


def note_organization_used(membership: Membership) -> None:
    """Remember that the member opened this organization (the menu lists it first)."""
    now = utcnow()
    # A visit is not a change to the membership: keep updated_at as it is.
    db.session.execute(
        update(Membership)
        .where(Membership.id == membership.id)
        .values(last_used_at=now, updated_at=Membership.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(membership, "last_used_at", now)


@dataclass
class ApplicationLink:
    """An application that runs somewhere Panda knows, as the organization's page shows it."""

    key: str
    name: str
    granted: bool
    url: str | None  # the organization's page in that application, if the member has its access


def application_links(membership: Membership, language: str) -> list[ApplicationLink]:
    """The applications with a known address, and whether ``membership`` opens this organization there."""
    granted = membership.granted_keys
    return [
        ApplicationLink(
            application.key,
            application.name(language),
            application.key in granted,
            application.organization_url(membership.organization_id) if application.key in granted else None,
        )
        for application in db.session.scalars(
            select(Application).where(Application.url.is_not(None)).order_by(Application.position, Application.key)
        )
    ]
