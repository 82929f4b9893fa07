"""Panda's webhooks: the one ``Webhooks`` instance, and the organizations' signals it listens to."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from panda_portal.extensions import db
from panda_portal.outbox.services import outbox
from panda_portal.webhooks import events
from panda_portal.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from shared.webhooks import Change, Recipient, Webhooks


def _creator(subscription: WebhookSubscription) -> Recipient | None:
    import uuid

    from panda_portal.accounts.models import Account

    try:
        account = db.session.get(Account, uuid.UUID(subscription.created_by_id))
    except ValueError:
        return None
    if account is None or account.disabled_at is not None:
        return None
    return Recipient(email=account.email, name=account.name, locale=account.language)


def _page(subscription: WebhookSubscription) -> str:
    base = current_app.config["PANDA_ISSUER"].rstrip("/")
    if subscription.organization_id is None:
        return f"{base}/webhooks/{subscription.id}"
    return f"{base}/orgs/{subscription.organization_id}/webhooks/{subscription.id}"


def _audit(change: Change) -> None:
    """Each change of a subscription goes to the audit log (the organization's, or the operators' for the vendor's)."""
    import uuid

    from panda_portal.accounts.models import Account
    from panda_portal.audit.services import record

    actor = None
    if change.actor_id is not None:
        try:
            actor = db.session.get(Account, uuid.UUID(change.actor_id))
        except ValueError:
            actor = None
    label = None if actor is not None or change.actor_id is None else change.actor_id[:200]
    record(
        change.action,
        actor=actor,
        actor_label=label,
        target_type="webhook_subscription",
        target_id=change.subscription_id,
        organization_id=change.organization_id,
        before=change.before,
        after=change.after,
    )


webhooks = Webhooks(
    db=db,
    outbox=outbox,
    subscription=WebhookSubscription,
    delivery=WebhookDelivery,
    attempt=WebhookAttempt,
    events=events.EVENTS,
    creator_of=_creator,
    page_of=_page,
    record=_audit,
)

# ``organizations.services.access_changes``' reasons, as the events name them.
MEMBERSHIP_CHANGES = {
    "created": "joined",
    "approved": "joined",
    "invitation_accepted": "joined",
    "role_changed": "role_changed",
    "removed": "removed",
    "left": "left",
}
ACCESS_CHANGES = {"access_granted": "granted", "access_removed": "revoked"}


def _membership(account: Any, organization: Any) -> Any | None:
    from panda_portal.organizations.models import Membership

    return (
        db.session.execute(
            select(Membership).where(Membership.account_id == account.id, Membership.organization_id == organization.id)
        )
        .unique()
        .scalar_one_or_none()
    )


def access_changed(_sender: Any, account: Any = None, organization: Any = None, reason: str = "", **_: Any) -> None:
    if account is None or organization is None:
        return
    membership = _membership(account, organization)
    data = {
        "organization": events.organization_data(organization),
        "member": events.member_data(account, membership),
    }
    if reason in MEMBERSHIP_CHANGES:
        webhooks.emit(
            events.MEMBERSHIP_CHANGED,
            organization_id=organization.id,
            data=data | {"change": MEMBERSHIP_CHANGES[reason]},
        )
    elif reason in ACCESS_CHANGES:
        webhooks.emit(
            events.ACCESS_CHANGED, organization_id=organization.id, data=data | {"change": ACCESS_CHANGES[reason]}
        )


def join_requested(_sender: Any, membership: Any = None, **_: Any) -> None:
    if membership is None:
        return
    organization = membership.organization
    webhooks.emit(
        events.JOIN_REQUEST_CREATED,
        organization_id=organization.id,
        data={
            "organization": events.organization_data(organization),
            "request": {
                "id": str(membership.id),
                "account_id": str(membership.account.id),
                "name": membership.account.name,
                "email": membership.account.email,
                "message": membership.request_message,
                "requested_at": events.iso(membership.requested_at),
            },
        },
    )
