"""Members of an organization: the list, roles, application accesses, removal and hand-over.

An organization never has zero active administrators. Every use case here that
changes an active membership first locks the organization's row and only then
reads the memberships it decides on, so two requests at the same moment are
serialized by the database: on PostgreSQL by the row lock (the second waits and
then counts what the first committed); on SQLite, which ignores FOR UPDATE,
because it allows one writer at a time and refuses the write of a transaction
whose snapshot went stale.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from panda_portal.accounts.models import Account
from panda_portal.audit.services import record
from panda_portal.extensions import db
from panda_portal.organizations.emails import members as member_mails
from panda_portal.organizations.models import (
    Application,
    ApplicationGrant,
    Invitation,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from panda_portal.organizations.services import access_changes
from shared.database import utcnow
from shared.errors import DomainError


class MembershipError(DomainError):
    """A membership change was refused; ``message`` tells the person why."""


class AlreadyMemberError(MembershipError):
    """``membership`` is active already: a request to join or an invitation would change nothing.

    Told to the person themselves (asking to join) it is good news; told about an
    invited address (``email``) it belongs next to the address on the invitation form.
    """

    def __init__(self, membership: Membership, *, email: str | None = None) -> None:
        self.membership = membership
        organization = membership.organization.name
        if email is not None:
            super().__init__(
                _("%(email)s is already a member of %(organization)s.", email=email, organization=organization),
                field="email",
            )
        elif membership.role == Role.ADMIN:
            super().__init__(_("You are already an administrator of %(organization)s.", organization=organization))
            self.category = "success"
        else:
            super().__init__(_("You are already a member of %(organization)s.", organization=organization))
            self.category = "success"


class LastAdministratorError(MembershipError):
    def __init__(self, organization: Organization) -> None:
        super().__init__(
            _(
                "%(organization)s must keep at least one administrator: appoint another administrator first.",
                organization=organization.name,
            )
        )


class MembershipNotActiveError(MembershipError):
    def __init__(self) -> None:
        super().__init__(_("This person is no longer a member of the organization."))


# ``Invitation.revoked_reason`` when the invitation's sender stopped being an administrator.
INVITER_NOT_ADMINISTRATOR = "inviter_not_administrator"
# How long the members page lists invitations withdrawn for that reason.
WITHDRAWN_INVITATIONS_SHOWN = dt.timedelta(days=30)


class UnknownApplicationError(MembershipError):
    def __init__(self) -> None:
        super().__init__(_("Choose application accesses from the list."), field="applications")


# -- reading -----------------------------------------------------------------------------
@dataclass
class MembersOverview:
    """What the members page shows, read with a fixed number of queries."""

    members: list[Membership]
    requests: list[Membership]
    invitations: list[Invitation]
    applications: list[Application]
    # Withdrawn lately because whoever sent them stopped being an administrator.
    withdrawn_invitations: list[Invitation] = field(default_factory=list)

    @property
    def administrator_count(self) -> int:
        return sum(1 for member in self.members if member.role == Role.ADMIN)


def list_applications() -> list[Application]:
    return list(db.session.scalars(select(Application).order_by(Application.position, Application.key)))


def members_overview(organization: Organization) -> MembersOverview:
    # Account and organization are joined eagerly, grants come in one SELECT … IN.
    memberships = (
        db.session.scalars(
            select(Membership).where(
                Membership.organization_id == organization.id,
                Membership.status.in_([MembershipStatus.ACTIVE, MembershipStatus.PENDING]),
            )
        )
        .unique()
        .all()
    )
    members = sorted(
        (m for m in memberships if m.status == MembershipStatus.ACTIVE),
        key=lambda m: (m.role != Role.ADMIN, m.account.name.casefold(), m.account.email),
    )
    requests = sorted(
        (m for m in memberships if m.status == MembershipStatus.PENDING), key=lambda m: m.requested_at or m.created_at
    )
    invitations = list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == organization.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        ).unique()
    )
    withdrawn = list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == organization.id,
                Invitation.revoked_reason == INVITER_NOT_ADMINISTRATOR,
                Invitation.revoked_at > utcnow() - WITHDRAWN_INVITATIONS_SHOWN,
            )
            .order_by(Invitation.revoked_at.desc())
        ).unique()
    )
    return MembersOverview(members, requests, invitations, list_applications(), withdrawn)


def invitations_sent_by(membership: Membership) -> int:
    """How many open invitations ``membership``'s person sent (withdrawn when they stop administering)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(*_open_invitations_of(membership), Invitation.expires_at > utcnow())
        )
        or 0
    )


def find_membership(organization: Organization, membership_id: uuid.UUID) -> Membership | None:
    """A membership of ``organization`` only: an id from another organization finds nothing."""
    return (
        db.session.execute(
            select(Membership).where(Membership.id == membership_id, Membership.organization_id == organization.id)
        )
        .unique()
        .scalar_one_or_none()
    )


def active_administrator_count(organization_id: uuid.UUID) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.organization_id == organization_id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role == Role.ADMIN,
            )
        )
        or 0
    )


# -- changes to one membership ------------------------------------------------------------
@dataclass
class MembershipChanges:
    """The difference between a membership and what an administrator asked for."""

    role_before: Role
    role_after: Role
    granted: list[Application] = field(default_factory=list)
    removed: list[Application] = field(default_factory=list)

    @property
    def role_changed(self) -> bool:
        return self.role_before != self.role_after

    @property
    def demoted(self) -> bool:
        return self.role_before == Role.ADMIN and self.role_after != Role.ADMIN

    def __bool__(self) -> bool:
        return self.role_changed or bool(self.granted) or bool(self.removed)


def preview_changes(
    membership: Membership, *, role: Role | str, application_keys: list[str] | set[str]
) -> MembershipChanges:
    """What ``update_membership`` would change (for the confirmation page); writes nothing.

    Raises ``LastAdministratorError`` already here when the change would leave
    the organization without an administrator, so the person is told before confirming.
    """
    changes = _diff(membership, Role(role), _applications(application_keys))
    if changes.demoted and active_administrator_count(membership.organization_id) <= 1:
        raise LastAdministratorError(membership.organization)
    return changes


def update_membership(
    membership: Membership, *, role: Role | str, application_keys: list[str] | set[str], actor: Account
) -> MembershipChanges:
    """Set a member's role and application accesses as an administrator confirmed them."""
    role = Role(role)
    applications = _applications(application_keys)
    _lock_for_change(membership)
    changes = _diff(membership, role, applications)
    if changes.demoted:
        _refuse_if_last_administrator(membership)
    if changes.role_changed:
        _set_role(membership, role, actor=actor, action="membership.role_changed")
    if changes.granted or changes.removed:
        _set_grants(membership, changes, actor=actor)
    if changes.demoted:
        _withdraw_invitations_sent_by(membership, actor=actor)
    db.session.flush()
    if changes.demoted:
        access_changes.access_reduced(membership.account, membership.organization, reason=access_changes.ROLE_CHANGED)
    elif changes.removed:
        access_changes.access_reduced(membership.account, membership.organization, reason=access_changes.ACCESS_REMOVED)
    elif changes.granted:
        access_changes.access_granted(membership.account, membership.organization, reason=access_changes.ACCESS_GRANTED)
    elif changes.role_changed:
        access_changes.access_granted(membership.account, membership.organization, reason=access_changes.ROLE_CHANGED)
    return changes


def remove_member(membership: Membership, *, actor: Account) -> None:
    """An administrator removes someone from the organization (never its last administrator)."""
    _lock_for_change(membership)
    if membership.role == Role.ADMIN:
        _refuse_if_last_administrator(membership)
    before = _snapshot(membership)
    was_administrator = membership.role == Role.ADMIN
    _end_membership(membership)
    if was_administrator:
        _withdraw_invitations_sent_by(membership, actor=actor)
    record(
        "membership.removed",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=membership.organization_id,
        subject_account_id=membership.account_id,
        before=before,
        after=_snapshot(membership),
    )
    member_mails.send_member_removed(membership, actor=actor)
    db.session.flush()
    access_changes.access_reduced(membership.account, membership.organization, reason=access_changes.REMOVED)


def leave_organization(membership: Membership, *, actor: Account) -> None:
    """Someone leaves an organization; an administrator only once another administrator exists."""
    _require_own(membership, actor)
    _lock_for_change(membership)
    if membership.role == Role.ADMIN:
        _refuse_if_last_administrator(membership)
    before = _snapshot(membership)
    was_administrator = membership.role == Role.ADMIN
    _end_membership(membership)
    if was_administrator:
        _withdraw_invitations_sent_by(membership, actor=actor)
    record(
        "membership.left",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=membership.organization_id,
        subject_account_id=membership.account_id,
        before=before,
        after=_snapshot(membership),
    )
    db.session.flush()
    access_changes.access_reduced(membership.account, membership.organization, reason=access_changes.LEFT)


def step_down(membership: Membership, *, actor: Account) -> None:
    """An administrator becomes a member, once another administrator exists."""
    _require_own(membership, actor)
    _lock_for_change(membership)
    if membership.role != Role.ADMIN:
        raise MembershipError(_("You are not an administrator of this organization."))
    _refuse_if_last_administrator(membership)
    _set_role(membership, Role.MEMBER, actor=actor, action="membership.stepped_down", notify=False)
    _withdraw_invitations_sent_by(membership, actor=actor)
    db.session.flush()
    access_changes.access_reduced(membership.account, membership.organization, reason=access_changes.ROLE_CHANGED)


# -- internals ----------------------------------------------------------------------------
def check_applications(keys: list[str] | set[str]) -> None:
    """``UnknownApplicationError`` unless every key names an application."""
    _applications(keys)


def _applications(keys: list[str] | set[str]) -> dict[str, Application]:
    wanted = set(keys)
    if not wanted:
        return {}
    found = {app.key: app for app in db.session.scalars(select(Application).where(Application.key.in_(wanted)))}
    if set(found) != wanted:
        raise UnknownApplicationError()
    return found


def _diff(membership: Membership, role: Role, applications: dict[str, Application]) -> MembershipChanges:
    current = membership.granted_keys
    granted = sorted(
        (app for key, app in applications.items() if key not in current), key=lambda app: (app.position, app.key)
    )
    removed_keys = current - set(applications)
    removed = (
        sorted(
            db.session.scalars(select(Application).where(Application.key.in_(removed_keys))),
            key=lambda app: (app.position, app.key),
        )
        if removed_keys
        else []
    )
    return MembershipChanges(membership.role, role, granted, removed)


def _lock_for_change(membership: Membership) -> None:
    """Lock the organization, then re-read the membership as committed by anyone before us."""
    db.session.execute(select(Organization.id).where(Organization.id == membership.organization_id).with_for_update())
    db.session.refresh(membership)
    if membership.status != MembershipStatus.ACTIVE:
        raise MembershipNotActiveError()


def _refuse_if_last_administrator(membership: Membership) -> None:
    # Counted after the lock: a concurrent change to this organization has committed by now.
    if active_administrator_count(membership.organization_id) <= 1:
        raise LastAdministratorError(membership.organization)


def _require_own(membership: Membership, actor: Account) -> None:
    if membership.account_id != actor.id:
        raise MembershipError(_("Only the person themselves can do this."))


def _snapshot(membership: Membership) -> dict:
    return {
        "status": membership.status.value,
        "role": membership.role.value,
        "applications": sorted(membership.granted_keys),
    }


def _open_invitations_of(membership: Membership) -> tuple:
    return (
        Invitation.organization_id == membership.organization_id,
        Invitation.invited_by_id == membership.account_id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
    )


def _withdraw_invitations_sent_by(membership: Membership, *, actor: Account) -> int:
    """An invitation holds only while its sender administers the organization: theirs are withdrawn.

    One conditional UPDATE: an invitation accepted meanwhile (its row is locked while
    it is accepted) is left as it is.
    """
    withdrawn = list(
        db.session.scalars(
            update(Invitation)
            .where(*_open_invitations_of(membership))
            .values(revoked_at=utcnow(), revoked_reason=INVITER_NOT_ADMINISTRATOR)
            .returning(Invitation.id)
            .execution_options(synchronize_session="fetch")
        )
    )
    for invitation_id in withdrawn:
        record(
            "invitation.revoked",
            actor=actor,
            target_type="invitation",
            target_id=invitation_id,
            organization_id=membership.organization_id,
            subject_account_id=membership.account_id,
            before={"status": "open"},
            after={"status": "revoked", "reason": INVITER_NOT_ADMINISTRATOR},
        )
    return len(withdrawn)


def _end_membership(membership: Membership) -> None:
    membership.status = MembershipStatus.REMOVED
    # A later request to join starts from scratch: no role or access comes back with it.
    membership.role = Role.MEMBER
    membership.active_since = None
    membership.grants.clear()


def _set_role(membership: Membership, role: Role, *, actor: Account, action: str, notify: bool = True) -> None:
    before = membership.role
    membership.role = role
    record(
        action,
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=membership.organization_id,
        subject_account_id=membership.account_id,
        before={"role": before.value},
        after={"role": role.value},
    )
    if notify:
        member_mails.send_role_changed(membership, actor=actor)


def _set_grants(membership: Membership, changes: MembershipChanges, *, actor: Account) -> None:
    before = sorted(membership.granted_keys)
    removed_keys = {app.key for app in changes.removed}
    for grant in [g for g in membership.grants if g.application_key in removed_keys]:
        membership.grants.remove(grant)
    now = utcnow()
    for app in changes.granted:
        membership.grants.append(ApplicationGrant(application_key=app.key, granted_at=now, granted_by_id=actor.id))
    record(
        "membership.access_changed",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=membership.organization_id,
        subject_account_id=membership.account_id,
        before={"applications": before},
        after={"applications": sorted(membership.granted_keys)},
    )
    if changes.granted:
        member_mails.send_access_granted(membership, changes.granted, actor=actor)
    if changes.removed:
        member_mails.send_access_removed(membership, changes.removed, actor=actor)
