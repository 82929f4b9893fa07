"""The community's webhooks: the one ``Webhooks`` instance, and the case signals it listens to."""

from __future__ import annotations

from typing import Any

from flask import current_app

from shared.webhooks import Recipient, Webhooks
from support_community.extensions import db
from support_community.outbox.services import outbox
from support_community.webhooks import events
from support_community.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def _creator(subscription: WebhookSubscription) -> Recipient | None:
    from support_community.cases.models import Person

    person = db.session.get(Person, subscription.created_by_id)
    if person is None or not person.email:
        return None
    return Recipient(email=person.email, name=person.name, locale=person.locale)


def _page(subscription: WebhookSubscription) -> str:
    base = current_app.config["COMMUNITY_URL"].rstrip("/")
    if subscription.organization_id is None:
        return f"{base}/webhooks/{subscription.id}"
    return f"{base}/orgs/{subscription.organization_id}/webhooks/{subscription.id}"


webhooks = Webhooks(
    db=db,
    outbox=outbox,
    subscription=WebhookSubscription,
    delivery=WebhookDelivery,
    attempt=WebhookAttempt,
    events=events.EVENTS,
    creator_of=_creator,
    page_of=_page,
)


# -- what the case services announce (``cases.signals``), in the transaction of the change -------
def case_opened(_sender: Any, case: Any = None, **_: Any) -> None:
    webhooks.emit(events.CASE_CREATED, organization_id=case.organization_id, data=events.case_data(case))


def message_added(_sender: Any, case: Any = None, message: Any = None, **_: Any) -> None:
    data = events.case_data(case) | {"message": events.message_data(message)}
    if message.is_internal:
        webhooks.emit(events.INTERNAL_NOTE_ADDED, organization_id=case.organization_id, data=data, vendor_only=True)
    else:
        webhooks.emit(events.CASE_REPLIED, organization_id=case.organization_id, data=data)


def status_changed(_sender: Any, case: Any = None, old: Any = None, new: Any = None, **_: Any) -> None:
    data = events.case_data(case) | {"previous_status": str(old), "status": str(new)}
    webhooks.emit(events.CASE_STATUS_CHANGED, organization_id=case.organization_id, data=data)


def case_assigned(_sender: Any, case: Any = None, **_: Any) -> None:
    webhooks.emit(events.CASE_ASSIGNED, organization_id=case.organization_id, data=events.case_data(case))
