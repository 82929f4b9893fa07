"""Mails about memberships and invitations, each in its recipient's language.

Links are absolute and built from ``PANDA_ISSUER``: a mail is read outside the
site, and may be queued where there is no request to take a host name from.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.models import Application, Invitation, Membership, Role
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail


def panda_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of a Panda page, as seen from outside (``PANDA_ISSUER``)."""
    issuer = urlsplit(current_app.config["PANDA_ISSUER"])
    adapter = current_app.url_map.bind(issuer.netloc, script_name=issuer.path or "/",
                                       url_scheme=issuer.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def send_invitation(invitation: Invitation, token: str, *, inviter: Account) -> None:
    queue_mail(outbox, "invitation", to=invitation.email, locale=invitation.language,
               organization=invitation.organization, inviter=inviter,
               administrator=invitation.role == Role.ADMIN,
               applications=_applications(invitation.application_keys or []),
               expires_at=invitation.expires_at,
               link=panda_url("organizations.invitation", token=token))


def send_invitation_accepted(invitation: Invitation, membership: Membership, *, inviter: Account) -> None:
    queue_mail(outbox, "invitation_accepted", to=inviter.email, locale=inviter.language,
               recipient=inviter.name, organization=invitation.organization, member=membership.account,
               administrator=membership.role == Role.ADMIN,
               link=panda_url("organizations.member_detail", org_id=invitation.organization_id,
                              membership_id=membership.id))


def send_role_changed(membership: Membership, *, actor: Account) -> None:
    account = membership.account
    queue_mail(outbox, "role_changed", to=account.email, locale=account.language,
               recipient=account.name, organization=membership.organization, actor=actor,
               administrator=membership.role == Role.ADMIN, link=_organization_page(membership))


def send_access_granted(membership: Membership, applications: list[Application], *, actor: Account) -> None:
    account = membership.account
    queue_mail(outbox, "access_granted", to=account.email, locale=account.language,
               recipient=account.name, organization=membership.organization, actor=actor,
               applications=applications, link=_organization_page(membership))


def send_access_removed(membership: Membership, applications: list[Application], *, actor: Account) -> None:
    account = membership.account
    queue_mail(outbox, "access_removed", to=account.email, locale=account.language,
               recipient=account.name, organization=membership.organization, actor=actor,
               applications=applications, link=_organization_page(membership))


def send_member_removed(membership: Membership, *, actor: Account) -> None:
    account = membership.account
    queue_mail(outbox, "member_removed", to=account.email, locale=account.language,
               recipient=account.name, organization=membership.organization, actor=actor,
               link=panda_url("organizations.home"))


def _organization_page(membership: Membership) -> str:
    return panda_url("organizations.organization_home", org_id=membership.organization_id)


def _applications(keys: list[str]) -> list[Application]:
    if not keys:
        return []
    rows = db.session.scalars(select(Application).where(Application.key.in_(keys))).all()
    return sorted(rows, key=lambda app: (app.position, app.key))
