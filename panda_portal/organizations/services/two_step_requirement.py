"""An organization may require two-step verification of everyone who acts for it.

Its administrators turn the requirement on or off (``set_requirement``, in the audit
log). While it is on, a member without two-step verification keeps their membership
in Panda, where the organization is marked "set up two-step verification to work for
this organization", but client applications do not list it in their ``orgs``
(``oidc.claims``): the access read and userinfo name it under ``held_back`` instead, so a
client can say why it is missing.

Every change that moves the organization in or out of someone's ``orgs`` is announced
as an access change (``access_changes``), so the clients follow at once: turning the
requirement on withdraws it from the members without two-step verification, turning it
off gives it back; a member turning two-step verification on gets their organizations
that require it back, turning it off withdraws them (``mfa.signals``).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, not_, or_, select

from panda_portal.accounts.models import Account
from panda_portal.audit.services import record
from panda_portal.extensions import db
from panda_portal.mfa.services.two_step import is_on, is_on_for
from panda_portal.organizations.models import Membership, MembershipStatus, Organization
from panda_portal.organizations.services import access_changes
from shared.errors import DomainError

REQUIRED = "organization.two_step_required"
NO_LONGER_REQUIRED = "organization.two_step_no_longer_required"

# Why someone's access changed (``access_changes`` reasons).
TWO_STEP_REQUIRED = "two_step_required"
TWO_STEP_NO_LONGER_REQUIRED = "two_step_no_longer_required"
TWO_STEP_SET_UP = "two_step_set_up"
TWO_STEP_TURNED_OFF = "two_step_turned_off"

# The ``reason`` of an organization held back from a client's ``orgs``.
HELD_BACK_REASON = "two_step_required"


class TwoStepNeededFirstError(DomainError):
    """Whoever requires two-step verification of an organization must have it themselves."""

    def __init__(self) -> None:
        super().__init__(
            _("Set up two-step verification for your own account first: then you can require it of everyone.")
        )


def held_back_condition(account_id: Any) -> ColumnElement[bool]:
    """SQL, on ``Organization``: the organization requires two-step verification that ``account_id`` lacks."""
    return and_(Organization.requires_two_step.is_(True), not_(is_on_for(account_id)))


def usable_condition(account_id: Any) -> ColumnElement[bool]:
    """SQL, on ``Organization``: ``account_id`` may act for it in client applications as far as two-step goes."""
    return or_(Organization.requires_two_step.is_(False), is_on_for(account_id))


def set_requirement(organization: Organization, required: bool, *, actor: Account) -> bool:
    """Require two-step verification of the organization's members (or no longer); returns whether it changed.

    ``actor`` (an administrator, checked by the view) must have two-step verification to turn it on.
    The members without it lose the organization in client applications at once (or get it back).
    """
    if required and not is_on(actor):
        raise TwoStepNeededFirstError()
    # The row lock serializes two administrators changing it at once: each sees the other's result.
    locked = db.session.execute(
        select(Organization.requires_two_step).where(Organization.id == organization.id).with_for_update()
    ).scalar_one()
    db.session.refresh(organization, ["requires_two_step"])
    if bool(locked) == required:
        return False
    organization.requires_two_step = required
    record(
        REQUIRED if required else NO_LONGER_REQUIRED,
        actor=actor,
        target_type="organization",
        target_id=organization.id,
        organization_id=organization.id,
        before={"requires_two_step": not required},
        after={"requires_two_step": required},
    )
    db.session.flush()
    for member in members_without_two_step(organization):
        if required:
            access_changes.access_reduced(member, organization, reason=TWO_STEP_REQUIRED)
        else:
            access_changes.access_granted(member, organization, reason=TWO_STEP_NO_LONGER_REQUIRED)
    return True


def members_without_two_step(organization: Organization) -> list[Account]:
    """The active members of ``organization`` who have not turned two-step verification on."""
    return list(
        db.session.scalars(
            select(Account)
            .join(Membership, Membership.account_id == Account.id)
            .where(
                Membership.organization_id == organization.id,
                Membership.status == MembershipStatus.ACTIVE,
                not_(is_on_for(Account.id)),
            )
            .order_by(Account.id)
        )
    )


def accounts_with_two_step(account_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these accounts have two-step verification on (one query)."""
    if not account_ids:
        return set()
    return set(db.session.scalars(select(Account.id).where(Account.id.in_(account_ids), is_on_for(Account.id))))


def _organizations_requiring_it(account: Account) -> list[Organization]:
    """The organizations of ``account``'s active memberships that require two-step verification.

    Their rows are locked first (all of the person's organizations: one that an administrator
    is turning the requirement on for right now must be waited for, and then seen), so a person
    setting up two-step verification and an administrator requiring it at the same moment
    cannot both miss the other: whichever commits second sends the event that holds.
    """
    db.session.execute(
        select(Organization.id)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.account_id == account.id, Membership.status == MembershipStatus.ACTIVE)
        .order_by(Organization.id)
        .with_for_update(of=Organization)
    ).all()
    return list(
        db.session.scalars(
            select(Organization)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(
                Membership.account_id == account.id,
                Membership.status == MembershipStatus.ACTIVE,
                Organization.requires_two_step.is_(True),
            )
            .order_by(Organization.id)
            .execution_options(populate_existing=True)
        )
    )


def after_two_step_enabled(_sender: Any, account: Account | None = None, **_extra: Any) -> None:
    """``mfa.signals.two_step_enabled``: the organizations that require it are the person's again."""
    if account is None:
        return
    for organization in _organizations_requiring_it(account):
        access_changes.access_granted(account, organization, reason=TWO_STEP_SET_UP)


def after_two_step_disabled(_sender: Any, account: Account | None = None, **_extra: Any) -> None:
    """``mfa.signals.two_step_disabled``: the organizations that require it are withdrawn at once."""
    if account is None:
        return
    for organization in _organizations_requiring_it(account):
        access_changes.access_reduced(account, organization, reason=TWO_STEP_TURNED_OFF)
