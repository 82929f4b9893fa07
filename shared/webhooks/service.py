"""Subscriptions, the events they receive, and delivering them through the outbox.

``emit`` writes one delivery and one outbox row per subscribed URL, in the transaction
of the change. The outbox worker calls ``deliver``: it signs the body (Standard
Webhooks), checks the destination again and posts to the address it checked, then logs
the attempt. A failed attempt raises, so the outbox retries it with exponential
back-off; a subscription whose deliveries keep failing (``WEBHOOK_PAUSE_AFTER_FAILURES``
in a row, or none succeeding for ``WEBHOOK_PAUSE_AFTER_DAYS``) is paused, its creator
is mailed, and what it would have received is held until it is resumed.

Every change of a subscription (created, changed, secret rotated, paused, resumed, deleted)
is logged and handed to the service's ``record`` (Panda writes it to its audit log), in
the transaction of the change. ``prune`` deletes deliveries (and their attempts) older
than ``WEBHOOK_KEEP_DAYS``.

Services flush and never commit; ``deliver`` runs in the worker, outside any request,
and commits its own short transactions (none is open while the receiver answers).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from shared.config import ConfigurationError
from shared.database import Database, rowcount, utcnow
from shared.errors import DomainError
from shared.outbox.service import MAX_ATTEMPTS, Outbox
from shared.webhooks import models
from shared.webhooks.addresses import Outcome, UnsafeDestinationError, check_destination, post
from shared.webhooks.signing import headers_for, new_secret

OUTBOX_KIND = "webhook"
TEST_EVENT = "webhook.test"
ROTATION_OVERLAP = dt.timedelta(hours=24)
DESCRIPTION_MAX = 200
URL_MAX = 2000
DELIVERIES_SHOWN = 50
PRUNE_BATCH = 500

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventType:
    name: str
    label: Any  # a lazy string
    vendor_only: bool = False


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    locale: str | None


@dataclass(frozen=True)
class Change:
    """A change of a subscription, for the service's record: ``action`` is ``webhook.<what>``.

    ``actor_id`` is who did it (None: the service itself, pausing a failing subscription);
    ``before``/``after`` hold what changed, never a secret.
    """

    action: str
    subscription_id: uuid.UUID
    organization_id: uuid.UUID | None
    actor_id: str | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def _described(subscription: Any) -> dict[str, Any]:
    return {"url": subscription.url, "events": list(subscription.events or []), "description": subscription.description}


class WebhookError(DomainError):
    """A subscription could not be saved or changed; ``message`` says why."""


class DeliveryFailedError(Exception):
    """Raised to the outbox after a failed attempt: it retries with back-off."""


class Webhooks:
    def __init__(
        self,
        *,
        db: Database,
        outbox: Outbox,
        subscription: type[Any],
        delivery: type[Any],
        attempt: type[Any],
        events: Sequence[EventType],
        creator_of: Callable[[Any], Recipient | None],
        page_of: Callable[[Any], str],
        record: Callable[[Change], None] | None = None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.Subscription = subscription
        self.Delivery = delivery
        self.Attempt = attempt
        self.events = {event.name: event for event in events}
        self.creator_of = creator_of
        self.page_of = page_of
        self.record = record

    def _changed(
        self,
        action: str,
        subscription: Any,
        actor_id: str | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        actor = None if actor_id is None else str(actor_id)
        change = Change(action, subscription.id, subscription.organization_id, actor, before, after)
        log.info(
            "%s: subscription %s of %s by %s",
            action,
            subscription.id,
            subscription.organization_id or "the vendor",
            actor or "the service",
        )
        if self.record is not None:
            self.record(change)

    def install(self, app: Flask) -> None:
        """Register the outbox handler; refuse a production that would let deliveries reach private networks."""
        if app.config["APP_ENV"] == "production" and app.config["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"]:
            raise ConfigurationError("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES may not be set in production.")
        self.outbox.register(OUTBOX_KIND, self.deliver)

    # -- reading ------------------------------------------------------------------------------
    def event_choices(self, *, vendor: bool) -> list[tuple[str, Any]]:
        return [(event.name, event.label) for event in self.events.values() if vendor or not event.vendor_only]

    def subscriptions(self, organization_id: uuid.UUID | None) -> list[Any]:
        S = self.Subscription
        owner = S.organization_id.is_(None) if organization_id is None else S.organization_id == organization_id
        return list(self.db.session.scalars(select(S).where(owner).order_by(S.created_at, S.id)))

    def find(self, organization_id: uuid.UUID | None, subscription_id: object) -> Any | None:
        """The subscription of that owner (an organization, or the vendor), or None: never another's."""
        try:
            wanted = uuid.UUID(str(subscription_id))
        except ValueError:
            return None
        subscription = self.db.session.get(self.Subscription, wanted)
        if subscription is None or subscription.organization_id != organization_id:
            return None
        return subscription

    def find_delivery(self, subscription: Any, delivery_id: object) -> Any | None:
        try:
            wanted = uuid.UUID(str(delivery_id))
        except ValueError:
            return None
        delivery = self.db.session.get(self.Delivery, wanted)
        return delivery if delivery is not None and delivery.subscription_id == subscription.id else None

    def deliveries(self, subscription: Any, limit: int = DELIVERIES_SHOWN) -> list[tuple[Any, list[Any]]]:
        """The latest deliveries, newest first, each with its attempts (two queries, whatever the count)."""
        D, A = self.Delivery, self.Attempt
        rows = list(
            self.db.session.scalars(
                select(D).where(D.subscription_id == subscription.id).order_by(D.created_at.desc()).limit(limit)
            )
        )
        attempts: dict[uuid.UUID, list[Any]] = {row.id: [] for row in rows}
        if rows:
            for attempt in self.db.session.scalars(
                select(A).where(A.delivery_id.in_(list(attempts))).order_by(A.attempted_at.desc(), A.id.desc())
            ):
                attempts[attempt.delivery_id].append(attempt)
        return [(row, attempts[row.id]) for row in rows]

    # -- changing (flush, never commit) --------------------------------------------------------
    def _clean(self, *, url: str | None, description: str | None, events: Sequence[str], vendor: bool) -> tuple:
        url = (url or "").strip()
        if not url or len(url) > URL_MAX:
            raise WebhookError(str(_l("Enter the URL that receives the events.")), field="url")
        check_destination(url, allow_private=bool(current_app.config["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"]))
        allowed = {name for name, _label in self.event_choices(vendor=vendor)}
        chosen = [name for name in self.events if name in set(events or ())]
        if not chosen or any(name not in allowed for name in events):
            raise WebhookError(str(_l("Choose at least one event.")), field="events")
        return url, (description or "").strip()[:DESCRIPTION_MAX], chosen

    def create(
        self,
        *,
        organization_id: uuid.UUID | None,
        url: str | None,
        description: str | None,
        events: Sequence[str],
        actor_id: str,
    ) -> tuple[Any, str]:
        """A new subscription and its secret (shown once: only the subscription keeps it)."""
        url, description, chosen = self._clean(
            url=url, description=description, events=events, vendor=organization_id is None
        )
        secret = new_secret()
        subscription = self.Subscription(
            organization_id=organization_id,
            url=url,
            description=description,
            events=chosen,
            secret=secret,
            created_by_id=str(actor_id),
            created_at=utcnow(),
            consecutive_failures=0,
        )
        self.db.session.add(subscription)
        self.db.session.flush()
        self._changed("webhook.created", subscription, actor_id, after=_described(subscription))
        return subscription, secret

    def update(
        self, subscription: Any, *, url: str | None, description: str | None, events: Sequence[str], actor_id: str
    ) -> None:
        url, description, chosen = self._clean(
            url=url, description=description, events=events, vendor=subscription.is_vendor
        )
        before = _described(subscription)
        subscription.url, subscription.description, subscription.events = url, description, chosen
        self.db.session.flush()
        after = _described(subscription)
        changed = [key for key in after if after[key] != before[key]]
        if changed:
            self._changed(
                "webhook.updated",
                subscription,
                actor_id,
                before={key: before[key] for key in changed},
                after={key: after[key] for key in changed},
            )

    def rotate_secret(self, subscription: Any, *, actor_id: str) -> str:
        """A new secret; the previous one stays valid (both signatures are sent) for 24 hours."""
        now = utcnow()
        subscription.previous_secret = subscription.secret
        subscription.previous_secret_expires_at = now + ROTATION_OVERLAP
        subscription.secret = new_secret()
        self.db.session.flush()
        self._changed("webhook.secret_rotated", subscription, actor_id, after={"url": subscription.url})
        return subscription.secret

    def pause(self, subscription: Any, *, actor_id: str) -> None:
        if subscription.paused_at is None:
            subscription.paused_at = utcnow()
            subscription.pause_reason = models.PAUSED_BY_HAND
            self.db.session.flush()
            self._changed("webhook.paused", subscription, actor_id, after={"reason": models.PAUSED_BY_HAND})

    def resume(self, subscription: Any, *, actor_id: str) -> int:
        """Deliveries start again, beginning with those held while paused; returns how many were held."""
        subscription.paused_at = None
        subscription.pause_reason = None
        subscription.consecutive_failures = 0
        subscription.failing_since = None
        D = self.Delivery
        held = list(
            self.db.session.scalars(
                select(D).where(D.subscription_id == subscription.id, D.status == models.HELD).order_by(D.created_at)
            )
        )
        for delivery in held:
            self._queue(delivery)
        self.db.session.flush()
        self._changed("webhook.resumed", subscription, actor_id, after={"held": len(held)})
        return len(held)

    def delete(self, subscription: Any, *, actor_id: str) -> None:
        self._changed("webhook.deleted", subscription, actor_id, before=_described(subscription))
        self.db.session.delete(subscription)
        self.db.session.flush()

    def prune(self, *, keep_days: int, now: dt.datetime | None = None, batch_size: int = PRUNE_BATCH) -> int:
        """Delete deliveries made more than ``keep_days`` ago, with their attempts; returns how many.

        Held deliveries (waiting for their subscription to be resumed) stay, whatever their age;
        a pending one that old has run out of retries (the outbox skips a delivery that is gone).
        Commits after each batch, so a long run holds no long lock.
        """
        D, A = self.Delivery, self.Attempt
        cutoff = (now or utcnow()) - dt.timedelta(days=keep_days)
        removed = 0
        while True:
            ids = list(
                self.db.session.scalars(
                    select(D.id)
                    .where(D.created_at < cutoff, D.status != models.HELD)
                    .order_by(D.created_at)
                    .limit(batch_size)
                )
            )
            if not ids:
                self.db.session.commit()
                return removed
            # The attempts first: SQLite without foreign keys would not cascade.
            self.db.session.execute(delete(A).where(A.delivery_id.in_(ids)))
            removed += rowcount(self.db.session.execute(delete(D).where(D.id.in_(ids))))
            self.db.session.commit()

    def redeliver(self, subscription: Any, delivery: Any, *, actor_id: str) -> None:
        """Send a delivery again by hand (same ``webhook-id``): once, whether or not it was delivered before."""
        self._queue(delivery, by_hand=True)
        self.db.session.flush()

    def send_test(self, subscription: Any, *, actor_id: str) -> Any:
        """A ``webhook.test`` event to this subscription alone, sent once even while it is paused."""
        delivery = self._new_delivery(
            subscription, TEST_EVENT, {"subscription_id": str(subscription.id), "message": "This is a test event."}
        )
        self._queue(delivery, by_hand=True)
        self.db.session.flush()
        return delivery

    # -- events --------------------------------------------------------------------------------
    def emit(
        self, event_type: str, *, organization_id: uuid.UUID, data: dict[str, Any], vendor_only: bool = False
    ) -> int:
        """Queue ``event_type`` for every subscription of the organization and of the vendor that wants it.

        ``vendor_only`` events (an internal note) never reach an organization's subscriptions.
        Returns how many deliveries were queued (held ones included).
        """
        if event_type not in self.events:
            raise ValueError(f"unknown webhook event {event_type!r}")
        vendor_only = vendor_only or self.events[event_type].vendor_only
        S = self.Subscription
        owners = S.organization_id.is_(None)
        if not vendor_only:
            owners = owners | (S.organization_id == organization_id)
        count = 0
        for subscription in self.db.session.scalars(select(S).where(owners).order_by(S.created_at)):
            if event_type not in (subscription.events or []):
                continue
            delivery = self._new_delivery(subscription, event_type, data)
            if subscription.is_paused:
                delivery.status = models.HELD
            else:
                self._queue(delivery)
            count += 1
        return count

    def _new_delivery(self, subscription: Any, event_type: str, data: dict[str, Any]) -> Any:
        now = utcnow()
        delivery = self.Delivery(
            subscription_id=subscription.id,
            event_type=event_type,
            payload={"type": event_type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data},
            status=models.PENDING,
            attempts=0,
            created_at=now,
        )
        self.db.session.add(delivery)
        self.db.session.flush()
        return delivery

    def _queue(self, delivery: Any, *, by_hand: bool = False) -> None:
        delivery.status = models.PENDING
        delivery.attempts = 0
        self.outbox.enqueue(OUTBOX_KIND, {"delivery_id": str(delivery.id), "by_hand": by_hand})

    @staticmethod
    def body(delivery: Any) -> bytes:
        return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()

    # -- delivering (the outbox worker) --------------------------------------------------------
    def deliver(self, message: dict) -> None:
        session = self.db.session
        by_hand = bool(message.get("by_hand"))
        delivery = session.get(self.Delivery, uuid.UUID(str(message["delivery_id"])))
        if delivery is None:
            return  # its subscription was deleted
        subscription = session.get(self.Subscription, delivery.subscription_id)
        if subscription is None or (delivery.status == models.DELIVERED and not by_hand):
            session.rollback()
            return
        if subscription.is_paused and not by_hand:
            delivery.status = models.HELD
            session.commit()
            return
        now = utcnow()
        body = self.body(delivery)
        headers = headers_for(
            subscription.secrets_in_use(now), message_id=delivery.message_id, timestamp=now, body=body
        )
        url, delivery_id, subscription_id = subscription.url, delivery.id, subscription.id
        session.commit()  # nothing held open while the receiver answers

        config = current_app.config
        try:
            destination = check_destination(url, allow_private=bool(config["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"]))
        except UnsafeDestinationError as refused:
            outcome = Outcome(None, 0, "", refused.message[:500])
        else:
            outcome = post(destination, body, headers, timeout=float(config["WEBHOOK_TIMEOUT"]))

        retry = self._record(delivery_id, subscription_id, outcome, now=now, by_hand=by_hand)
        if retry:
            raise DeliveryFailedError(outcome.error or "not delivered")

    def _record(
        self, delivery_id: uuid.UUID, subscription_id: uuid.UUID, outcome: Outcome, *, now: dt.datetime, by_hand: bool
    ) -> bool:
        """Log the attempt and its consequences; True when the outbox should try again later."""
        session = self.db.session
        S = self.Subscription
        delivery = session.get_one(self.Delivery, delivery_id)
        session.add(
            self.Attempt(
                delivery_id=delivery_id,
                attempted_at=now,
                succeeded=outcome.succeeded,
                status_code=outcome.status_code,
                duration_ms=outcome.duration_ms,
                response_excerpt=outcome.excerpt,
                error=outcome.error,
                by_hand=by_hand,
            )
        )
        delivery.attempts += 1
        delivery.last_attempt_at = now
        if outcome.succeeded:
            delivery.status = models.DELIVERED
            delivery.delivered_at = utcnow()
            session.execute(
                update(S)
                .where(S.id == subscription_id)
                .values(consecutive_failures=0, failing_since=None, last_delivered_at=delivery.delivered_at)
            )
            session.commit()
            return False
        if by_hand:
            if delivery.status != models.DELIVERED:
                delivery.status = models.FAILED
            session.commit()
            return False
        # Counted in the database, so two workers failing at once both count.
        session.execute(
            update(S).where(S.id == subscription_id).values(consecutive_failures=S.consecutive_failures + 1)
        )
        session.execute(update(S).where(S.id == subscription_id, S.failing_since.is_(None)).values(failing_since=now))
        subscription = session.get_one(S, subscription_id)
        session.refresh(subscription)
        config = current_app.config
        too_many = subscription.consecutive_failures >= int(config["WEBHOOK_PAUSE_AFTER_FAILURES"])
        too_long = subscription.failing_since is not None and now - subscription.failing_since >= dt.timedelta(
            days=int(config["WEBHOOK_PAUSE_AFTER_DAYS"])
        )
        if too_many or too_long:
            delivery.status = models.HELD
            paused = rowcount(
                session.execute(
                    update(S)
                    .where(S.id == subscription_id, S.paused_at.is_(None))
                    .values(paused_at=now, pause_reason=models.PAUSED_FAILING)
                )
            )
            if paused:
                session.refresh(subscription)
                self._tell_paused(subscription)
                self._changed(
                    "webhook.paused",
                    subscription,
                    None,
                    after={"reason": models.PAUSED_FAILING, "failures": subscription.consecutive_failures},
                )
            session.commit()
            return False
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = models.FAILED
            session.commit()
            return False
        session.commit()
        return True

    def _tell_paused(self, subscription: Any) -> None:
        from shared.outbox.rendering import queue_mail

        recipient = self.creator_of(subscription)
        if recipient is None or not recipient.email:
            return
        queue_mail(
            self.outbox,
            "webhook_paused",
            to=recipient.email,
            locale=recipient.locale,
            recipient=recipient.name,
            subscription=subscription,
            link=self.page_of(subscription),
        )
