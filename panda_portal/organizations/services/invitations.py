"""Invitations by e-mail to join an organization as member or administrator.

An invitation is a single-use link that expires after seven days. Only the
SHA-256 of its random token is stored, so re-sending it (a new token) makes the
old link stop working, and a copy of the table gives no usable link. It can only
be accepted by the account whose verified address is the invited one, and only
while whoever sent it is still an active administrator of the organization:
removing, demoting or disabling them withdraws what they sent
(``members._withdraw_invitations_sent_by``, and ``current_status`` for what the
organization's own changes cannot see, such as a disabled account).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from flask_babel import gettext as _
from sqlalchemy import select

from panda_portal.accounts.models import Account, normalize_email
from panda_portal.accounts.services.errors import UnverifiedAccountError
from panda_portal.audit.services import record
from panda_portal.extensions import db
from panda_portal.organizations.emails import invitations as invitation_mails
from panda_portal.organizations.models import (
    ApplicationGrant,
    Invitation,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from panda_portal.organizations.services import access_changes
from panda_portal.organizations.services.members import (
    INVITER_NOT_ADMINISTRATOR,
    AlreadyMemberError,
    UnknownApplicationError,
    list_applications,
)
from shared.database import utcnow
from shared.errors import DomainError
from shared.i18n import LANGUAGES

INVITATION_LIFETIME = dt.timedelta(days=7)

OPEN = "open"
EXPIRED = "expired"
REVOKED = "revoked"
ACCEPTED = "accepted"
INVITER_GONE = "inviter_gone"  # its sender is no longer an active administrator


class InvitationError(DomainError):
    """An invitation use case was refused; ``message`` tells the person why."""


class InvitationClosedError(InvitationError):
    """The invitation can no longer be used (``status`` says why)."""

    def __init__(self, status: str) -> None:
        messages = {
            EXPIRED: _("This invitation has expired. Ask an administrator of the organization to send it again."),
            REVOKED: _("This invitation was withdrawn by an administrator of the organization."),
            ACCEPTED: _("This invitation has already been used."),
            INVITER_GONE: _(
                "This invitation is no longer valid: the administrator who sent it no longer manages the "
                "organization. Ask one of its administrators to invite you again."
            ),
        }
        super().__init__(messages.get(status, _("This invitation can no longer be used.")))
        self.status = status


class WrongAccountError(InvitationError):
    def __init__(self) -> None:
        super().__init__(
            _("This invitation was sent to another e-mail address. Sign in with the invited address to accept it.")
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def invitation_status(invitation: Invitation, now: dt.datetime | None = None) -> str:
    """The invitation's own state (no other row is read): open, expired, withdrawn or used."""
    if invitation.accepted_at is not None:
        return ACCEPTED
    if invitation.revoked_at is not None:
        return INVITER_GONE if invitation.revoked_reason == INVITER_NOT_ADMINISTRATOR else REVOKED
    if invitation.expires_at <= (now or utcnow()):
        return EXPIRED
    return OPEN


def inviter_administers(invitation: Invitation) -> bool:
    """Whether whoever sent ``invitation`` is still an active administrator of its organization."""
    if invitation.invited_by_id is None:
        return False
    inviter = db.session.get(Account, invitation.invited_by_id)
    if inviter is None or inviter.disabled_at is not None:
        return False
    membership = _membership_of(invitation.organization_id, invitation.invited_by_id)
    return membership is not None and membership.is_admin


def current_status(invitation: Invitation) -> str:
    """``invitation_status``, and not open any more when its sender stopped administering the organization."""
    status = invitation_status(invitation)
    if status == OPEN and not inviter_administers(invitation):
        return INVITER_GONE
    return status


def find_invitation(organization: Organization, invitation_id: uuid.UUID) -> Invitation | None:
    """An invitation of ``organization`` only."""
    return (
        db.session.execute(
            select(Invitation).where(Invitation.id == invitation_id, Invitation.organization_id == organization.id)
        )
        .unique()
        .scalar_one_or_none()
    )


def invitation_for_token(token: str) -> Invitation | None:
    if not token or len(token) > 128:
        return None
    return (
        db.session.execute(select(Invitation).where(Invitation.token_hash == hash_token(token)))
        .unique()
        .scalar_one_or_none()
    )


def _account_for(email: str) -> Account | None:
    return db.session.execute(select(Account).where(Account.email == email)).scalar_one_or_none()


def _membership_of(organization_id: uuid.UUID, account_id: uuid.UUID) -> Membership | None:
    return (
        db.session.execute(
            select(Membership).where(Membership.organization_id == organization_id, Membership.account_id == account_id)
        )
        .unique()
        .scalar_one_or_none()
    )


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation.token_hash = hash_token(token)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    return token


def _mail_language(invitation: Invitation, fallback: str) -> str:
    """The invitee's own language when the address has an account, else the one the administrator chose."""
    account = _account_for(invitation.email)
    if account is not None:
        return account.language
    return fallback if fallback in LANGUAGES else "en"


def _snapshot(invitation: Invitation) -> dict:
    return {
        "email": invitation.email,
        "role": invitation.role.value,
        "applications": sorted(invitation.application_keys or []),
        "status": invitation_status(invitation),
    }


def invite(
    organization: Organization,
    *,
    email: str,
    role: Role | str,
    application_keys: list[str],
    language: str,
    actor: Account,
) -> Invitation:
    """Invite ``email`` as member or administrator with the chosen application accesses, and mail the link.

    An open invitation to the same address is replaced, so one link at a time works.
    """
    address = normalize_email(email)
    role = Role(role)
    known = {app.key for app in list_applications()}
    keys = sorted(set(application_keys))
    if not set(keys) <= known:
        raise UnknownApplicationError()
    account = _account_for(address)
    if account is not None:
        membership = _membership_of(organization.id, account.id)
        if membership is not None and membership.status == MembershipStatus.ACTIVE:
            raise AlreadyMemberError(membership, email=address)
    now = utcnow()
    for previous in db.session.scalars(
        select(Invitation).where(
            Invitation.organization_id == organization.id,
            Invitation.email == address,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ).unique():
        previous.revoked_at = now
        record(
            "invitation.replaced",
            actor=actor,
            target_type="invitation",
            target_id=previous.id,
            organization_id=organization.id,
            subject_account_id=account.id if account else None,
            before={"status": OPEN},
            after={"status": REVOKED},
        )
    invitation = Invitation(
        id=uuid.uuid4(),
        organization=organization,
        organization_id=organization.id,
        email=address,
        role=role,
        application_keys=keys,
        invited_by_id=actor.id,
        created_at=now,
    )
    invitation.language = _mail_language(invitation, language)
    token = _new_token(invitation)
    db.session.add(invitation)
    record(
        "invitation.created",
        actor=actor,
        target_type="invitation",
        target_id=invitation.id,
        organization_id=organization.id,
        subject_account_id=account.id if account else None,
        after=_snapshot(invitation),
    )
    invitation_mails.send_invitation(invitation, token, inviter=actor)
    db.session.flush()
    return invitation


def revoke_invitation(invitation: Invitation, *, actor: Account) -> None:
    status = invitation_status(invitation)
    if status in (ACCEPTED, REVOKED, INVITER_GONE):
        raise InvitationClosedError(status)
    before = _snapshot(invitation)
    invitation.revoked_at = utcnow()
    record(
        "invitation.revoked",
        actor=actor,
        target_type="invitation",
        target_id=invitation.id,
        organization_id=invitation.organization_id,
        before=before,
        after=_snapshot(invitation),
    )
    db.session.flush()


def resend_invitation(invitation: Invitation, *, actor: Account) -> None:
    """Mail a new link valid for another seven days; the previous link stops working."""
    status = invitation_status(invitation)
    if status in (ACCEPTED, REVOKED, INVITER_GONE):
        raise InvitationClosedError(status)
    before = _snapshot(invitation) | {"expires_at": invitation.expires_at.isoformat()}
    invitation.language = _mail_language(invitation, invitation.language)
    token = _new_token(invitation)
    record(
        "invitation.resent",
        actor=actor,
        target_type="invitation",
        target_id=invitation.id,
        organization_id=invitation.organization_id,
        before=before,
        after=_snapshot(invitation) | {"expires_at": invitation.expires_at.isoformat()},
    )
    invitation_mails.send_invitation(invitation, token, inviter=actor)
    db.session.flush()


def check_acceptance(invitation: Invitation, account: Account) -> None:
    """Raise the reason ``account`` cannot accept ``invitation`` now, if there is one."""
    status = current_status(invitation)
    if status != OPEN:
        raise InvitationClosedError(status)
    if normalize_email(account.email) != normalize_email(invitation.email):
        raise WrongAccountError()
    if not account.is_verified:
        raise UnverifiedAccountError(account, _("Confirm your e-mail address first, then open the invitation again."))
    membership = _membership_of(invitation.organization_id, account.id)
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        raise AlreadyMemberError(membership, email=account.email)


def accept_invitation(invitation: Invitation, *, actor: Account) -> Membership:
    """``actor`` joins with the invited role and application accesses; the link is used up."""
    # The row lock makes the link single-use even when it is opened twice at once.
    db.session.execute(select(Invitation.id).where(Invitation.id == invitation.id).with_for_update())
    db.session.refresh(invitation)
    check_acceptance(invitation, actor)
    now = utcnow()
    known = {app.key for app in list_applications()}
    keys = [key for key in invitation.application_keys or [] if key in known]
    membership = _membership_of(invitation.organization_id, actor.id)
    before = None
    if membership is None:
        membership = Membership(organization_id=invitation.organization_id, account_id=actor.id, created_at=now)
        db.session.add(membership)
    else:
        # A pending request, or an earlier membership that ended, is reused (one row per person).
        before = {
            "status": membership.status.value,
            "role": membership.role.value,
            "applications": sorted(membership.granted_keys),
        }
        membership.grants.clear()
        db.session.flush()
    membership.role = invitation.role
    membership.status = MembershipStatus.ACTIVE
    membership.active_since = now
    membership.decided_at = now
    membership.decided_by_id = invitation.invited_by_id
    membership.grants.extend(
        ApplicationGrant(application_key=key, granted_at=now, granted_by_id=invitation.invited_by_id) for key in keys
    )
    invitation.accepted_at = now
    invitation.accepted_by_id = actor.id
    db.session.flush()
    record(
        "invitation.accepted",
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        organization_id=invitation.organization_id,
        subject_account_id=actor.id,
        before=before,
        after={
            "status": MembershipStatus.ACTIVE.value,
            "role": membership.role.value,
            "applications": sorted(keys),
            "invitation": str(invitation.id),
        },
    )
    inviter = db.session.get(Account, invitation.invited_by_id) if invitation.invited_by_id else None
    if inviter is not None and inviter.disabled_at is None:
        invitation_mails.send_invitation_accepted(invitation, membership, inviter=inviter)
    db.session.flush()
    access_changes.access_granted(actor, invitation.organization, reason=access_changes.INVITATION_ACCEPTED)
    return membership
