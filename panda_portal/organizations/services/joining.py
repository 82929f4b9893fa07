"""Adding an organization, requests to join, and the administrators' decisions.

A pending membership *is* the request to join: one row per (organization,
account), reused when someone whose request was rejected or withdrawn asks again.

Two moments need the database to arbitrate:

* two people add the same new organization at once: the unique customer number
  lets one insert win; the other's insert fails inside a savepoint and becomes
  a request to join the organization the first one created;
* two administrators decide the same request at once: the decision is an
  ``UPDATE … WHERE status = 'pending'`` after a ``SELECT … FOR UPDATE`` of the
  row (PostgreSQL), so only one of them changes it and the other is told what
  was decided (SQLite ignores FOR UPDATE but lets one writer at a time through,
  and the status condition does the rest).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from panda_portal.accounts.models import Account
from panda_portal.accounts.signals import announce
from panda_portal.audit.services import record
from panda_portal.extensions import db
from panda_portal.organizations import signals
from panda_portal.organizations.emails import joining as joining_mails
from panda_portal.organizations.emails import register as register_mails
from panda_portal.organizations.models import (
    Application,
    ApplicationGrant,
    CustomerRecord,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from panda_portal.organizations.services import access_changes
from panda_portal.organizations.services.customer_register import find_customer
from panda_portal.organizations.services.members import AlreadyMemberError
from shared.database import utcnow
from shared.errors import DomainError

MESSAGE_MAX = 1000


class JoiningError(DomainError):
    """A request could not be made or decided; ``message`` tells the person why."""


class RequestAlreadyPendingError(JoiningError):
    category = "warning"

    def __init__(self, membership: Membership | None, organization: Organization) -> None:
        self.membership = membership
        super().__init__(
            _(
                "Your request to join %(organization)s is already waiting for an administrator's decision.",
                organization=organization.name,
            )
        )


class RequestNotFoundError(JoiningError):
    def __init__(self) -> None:
        super().__init__(_("This request to join does not exist."))


class RequestAlreadyDecidedError(JoiningError):
    """The request is no longer pending: someone else decided it, or it was withdrawn."""

    category = "warning"

    def __init__(self, membership: Membership) -> None:
        self.membership = membership
        decider = decider_of(membership)
        requester = membership.account.name
        if membership.status == MembershipStatus.ACTIVE:
            message = (
                _("This request was already approved by %(name)s.", name=decider.name)
                if decider
                else _("%(name)s is already a member.", name=requester)
            )
        elif membership.status == MembershipStatus.REJECTED:
            message = (
                _("This request was already rejected by %(name)s.", name=decider.name)
                if decider
                else _("This request was already rejected.")
            )
        else:
            message = _("This request was withdrawn.")
        super().__init__(message)


# -- adding an organization ------------------------------------------------------------------
@dataclass(frozen=True)
class KnownRegister:
    """What a caller adding many organizations in one transaction reads once for all of them (a bulk add).

    ``customers`` and ``organizations`` by customer number, read in this transaction for
    the lines about to be added (a number missing from them is not in the register, or
    not in Panda: an organization created meanwhile by someone else is still caught by
    the unique customer number); ``application_keys``: every application, in order.
    """

    customers: dict[str, CustomerRecord]
    organizations: dict[str, Organization]
    application_keys: list[str]


@dataclass(frozen=True)
class NewOrganization:
    """The register entry is not in Panda yet: the person may create it, after confirming."""

    customer: CustomerRecord


def add_organization(
    customer_number: str, enterprise_number: str, *, actor: Account, message: str | None = None
) -> NewOrganization | Membership:
    """Look the pair up in the register: a new organization to confirm, or a request to join.

    Raises ``InvalidEnterpriseNumber``, ``NotInRegisterError``, ``AlreadyMemberError``
    or ``RequestAlreadyPendingError``; writes nothing unless a request is made.
    """
    customer = find_customer(customer_number, enterprise_number)
    organization = _organization_of(customer)
    if organization is None:
        return NewOrganization(customer)
    return request_to_join(organization, actor=actor, message=message)


def create_organization(
    customer_number: str,
    enterprise_number: str,
    *,
    actor: Account,
    message: str | None = None,
    notify_administrators: bool = True,
    known: KnownRegister | None = None,
    announce_access: bool = True,
) -> Membership:
    """Create the organization with ``actor`` as its administrator holding every application.

    The pair is checked against the register again. If the organization exists by
    now (someone else confirmed first), a request to join is made instead: the
    returned membership is then pending. ``notify_administrators=False`` leaves the
    administrators' mail to the caller (a bulk add sends one per administrator).
    A caller adding many in one transaction passes what it read once for all of them
    (``known``), and with ``announce_access=False`` announces ``actor``'s new access
    itself, once for the transaction (the announcements of one person merge anyway).
    """
    customer = find_customer(customer_number, enterprise_number, among=known.customers if known else None)
    organization = _organization_of(customer) if known is None else known.organizations.get(customer.customer_number)
    if organization is not None:
        return request_to_join(organization, actor=actor, message=message, notify_administrators=notify_administrators)
    organization = Organization(
        customer_number=customer.customer_number,
        enterprise_number=customer.enterprise_number,
        name=customer.name,
        created_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(organization)
            db.session.flush()
    except IntegrityError:
        # The other insert has committed (PostgreSQL waited for it on the unique index).
        organization = _organization_of(customer)
        if organization is None:
            raise
        return request_to_join(organization, actor=actor, message=message, notify_administrators=notify_administrators)

    now = utcnow()
    keys = list(known.application_keys) if known is not None else application_keys()
    membership = Membership(
        organization=organization,
        account=actor,
        role=Role.ADMIN,
        status=MembershipStatus.ACTIVE,
        active_since=now,
        last_used_at=now,
    )
    membership.grants = [ApplicationGrant(application_key=key, granted_at=now, granted_by_id=actor.id) for key in keys]
    db.session.add(membership)
    db.session.flush()

    record(
        "organization.created",
        actor=actor,
        target_type="organization",
        target_id=organization.id,
        organization_id=organization.id,
        after={
            "name": organization.name,
            "customer_number": organization.customer_number,
            "enterprise_number": organization.enterprise_number,
        },
    )
    record(
        "membership.created",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=organization.id,
        subject_account_id=actor.id,
        after={"role": Role.ADMIN, "status": MembershipStatus.ACTIVE, "grants": keys},
    )
    for key in keys:
        record(
            "grant.added",
            actor=actor,
            target_type="membership",
            target_id=membership.id,
            organization_id=organization.id,
            subject_account_id=actor.id,
            after={"application": key},
        )
    # The customer's own contact hears of it: whoever knows the two numbers could have done this.
    register_mails.send_organization_added(customer, organization, actor=actor)
    if announce_access:
        access_changes.access_granted(actor, organization, reason=access_changes.CREATED)
    return membership


def application_keys() -> list[str]:
    """Every application's key, in the order they are shown: a new organization's creator holds them all."""
    return list(db.session.scalars(select(Application.key).order_by(Application.position, Application.key)))


def _organization_of(customer: CustomerRecord) -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.customer_number == customer.customer_number))


# -- requests to join ------------------------------------------------------------------------
def request_to_join(
    organization: Organization, *, actor: Account, message: str | None = None, notify_administrators: bool = True
) -> Membership:
    """A pending membership, and a mail to every active administrator in their own language.

    With ``notify_administrators=False`` the caller mails them (one mail for many requests).
    """
    message = _clean_message(message)
    existing = (
        db.session.execute(
            select(Membership).where(Membership.organization_id == organization.id, Membership.account_id == actor.id)
        )
        .unique()
        .scalar_one_or_none()
    )
    now = utcnow()
    if existing is not None:
        if existing.status == MembershipStatus.ACTIVE:
            raise AlreadyMemberError(existing)
        if existing.status == MembershipStatus.PENDING:
            raise RequestAlreadyPendingError(existing, organization)
        before = {"status": existing.status, "role": existing.role}
        membership = existing
        membership.status = MembershipStatus.PENDING
        membership.role = Role.MEMBER
        membership.requested_at = now
        membership.request_message = message
        membership.decided_at = membership.decided_by_id = membership.decision_message = None
        membership.active_since = None
        membership.grants.clear()
        db.session.flush()
    else:
        before = None
        membership = Membership(
            organization=organization,
            account=actor,
            role=Role.MEMBER,
            status=MembershipStatus.PENDING,
            requested_at=now,
            request_message=message,
        )
        try:
            with db.session.begin_nested():
                db.session.add(membership)
                db.session.flush()
        except IntegrityError:
            # The same person's other submission got there first.
            raise RequestAlreadyPendingError(None, organization) from None

    record(
        "membership.requested",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=organization.id,
        subject_account_id=actor.id,
        before=before,
        after={"status": MembershipStatus.PENDING, "message": message},
    )
    if notify_administrators:
        joining_mails.send_join_request(membership, active_administrators(organization.id))
    announce(signals.join_requested, membership=membership)
    return membership


def active_administrators(organization_id: uuid.UUID) -> list[Account]:
    return list(
        db.session.scalars(
            select(Account)
            .join(Membership, Membership.account_id == Account.id)
            .where(
                Membership.organization_id == organization_id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role == Role.ADMIN,
            )
            .order_by(Account.email)
        )
    )


def withdraw_request(membership_id: uuid.UUID, *, actor: Account) -> Membership:
    """The requester takes back a pending request (the membership becomes removed)."""
    membership = (
        db.session.execute(
            select(Membership).where(
                Membership.id == membership_id, Membership.account_id == actor.id, Membership.requested_at.is_not(None)
            )
        )
        .unique()
        .scalar_one_or_none()
    )
    if membership is None:
        raise RequestNotFoundError()
    now = utcnow()
    _change_pending(membership, status=MembershipStatus.REMOVED, updated_at=now)
    record(
        "membership.request_withdrawn",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=membership.organization_id,
        subject_account_id=actor.id,
        before={"status": MembershipStatus.PENDING},
        after={"status": MembershipStatus.REMOVED},
    )
    return membership


# -- deciding --------------------------------------------------------------------------------
def find_request(organization: Organization, membership_id: uuid.UUID) -> Membership | None:
    """A request to join ``organization`` (whatever its state now); another organization's finds nothing."""
    return (
        db.session.execute(
            select(Membership).where(
                Membership.id == membership_id,
                Membership.organization_id == organization.id,
                Membership.requested_at.is_not(None),
            )
        )
        .unique()
        .scalar_one_or_none()
    )


def decider_of(membership: Membership) -> Account | None:
    """The administrator who approved or rejected the request, if any."""
    return db.session.get(Account, membership.decided_by_id) if membership.decided_by_id else None


def pending_requests(organization: Organization) -> list[Membership]:
    return list(
        db.session.execute(
            select(Membership)
            .where(Membership.organization_id == organization.id, Membership.status == MembershipStatus.PENDING)
            .order_by(Membership.requested_at)
        )
        .unique()
        .scalars()
    )


def approve_request(
    organization: Organization, membership_id: uuid.UUID, *, actor: Account, message: str | None = None
) -> Membership:
    """The requester becomes a member (no application access yet) and is told by mail."""
    membership = _locked_request(organization, membership_id)
    now = utcnow()
    _change_pending(
        membership,
        status=MembershipStatus.ACTIVE,
        role=Role.MEMBER,
        active_since=now,
        decided_at=now,
        decided_by_id=actor.id,
        decision_message=_clean_message(message),
        updated_at=now,
    )
    record(
        "membership.approved",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=organization.id,
        subject_account_id=membership.account_id,
        before={"status": MembershipStatus.PENDING},
        after={"status": MembershipStatus.ACTIVE, "role": Role.MEMBER, "message": membership.decision_message},
    )
    joining_mails.send_join_approved(membership, actor=actor)
    access_changes.access_granted(membership.account, organization, reason=access_changes.APPROVED)
    return membership


def reject_request(
    organization: Organization, membership_id: uuid.UUID, *, actor: Account, message: str | None = None
) -> Membership:
    """The request is refused and the requester is told by mail."""
    membership = _locked_request(organization, membership_id)
    now = utcnow()
    _change_pending(
        membership,
        status=MembershipStatus.REJECTED,
        decided_at=now,
        decided_by_id=actor.id,
        decision_message=_clean_message(message),
        updated_at=now,
    )
    record(
        "membership.rejected",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=organization.id,
        subject_account_id=membership.account_id,
        before={"status": MembershipStatus.PENDING},
        after={"status": MembershipStatus.REJECTED, "message": membership.decision_message},
    )
    joining_mails.send_join_rejected(membership, actor=actor)
    return membership


def _locked_request(organization: Organization, membership_id: uuid.UUID) -> Membership:
    membership = (
        db.session.execute(
            select(Membership)
            .where(
                Membership.id == membership_id,
                Membership.organization_id == organization.id,
                Membership.requested_at.is_not(None),
            )
            .with_for_update(of=Membership)
            .execution_options(populate_existing=True)
        )
        .unique()
        .scalar_one_or_none()
    )
    if membership is None:
        raise RequestNotFoundError()
    return membership


def _change_pending(membership: Membership, **values) -> None:
    """Apply ``values`` only if the membership is still pending, else say what happened."""
    if membership.status != MembershipStatus.PENDING:
        raise RequestAlreadyDecidedError(membership)
    changed = cast(
        CursorResult,
        db.session.execute(
            update(Membership)
            .where(Membership.id == membership.id, Membership.status == MembershipStatus.PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(membership)
    if not changed:
        raise RequestAlreadyDecidedError(membership)


def _clean_message(message: str | None) -> str | None:
    message = (message or "").strip()
    return message[:MESSAGE_MAX] or None
