"""Mails about invitations: the invitation itself, and the notice to the inviter that it was accepted."""

from __future__ import annotations

from sqlalchemy import select

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.emails import panda_url
from panda_portal.organizations.models import Application, Invitation, Membership, Role
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def send_invitation(invitation: Invitation, token: str, *, inviter: Account) -> None:
    queue_mail(
        outbox,
        "invitation",
        to=invitation.email,
        locale=invitation.language,
        organization=invitation.organization,
        inviter=inviter,
        administrator=invitation.role == Role.ADMIN,
        applications=_applications(invitation.application_keys or []),
        expires_at=invitation.expires_at,
        link=panda_url("organizations.invitation", token=token),
    )


def send_invitation_accepted(invitation: Invitation, membership: Membership, *, inviter: Account) -> None:
    queue_mail(
        outbox,
        "invitation_accepted",
        to=inviter.email,
        locale=inviter.language,
        recipient=inviter.name,
        organization=invitation.organization,
        member=membership.account,
        administrator=membership.role == Role.ADMIN,
        link=panda_url("organizations.member_detail", org_id=invitation.organization_id, membership_id=membership.id),
    )


def _applications(keys: list[str]) -> list[Application]:
    if not keys:
        return []
    rows = db.session.scalars(select(Application).where(Application.key.in_(keys))).all()
    return sorted(rows, key=lambda app: (app.position, app.key))
