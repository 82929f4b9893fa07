"""Outgoing webhooks, signed as the Standard Webhooks specification says, for both services.

Each service declares its tables with the mixins of ``models``, makes one ``Webhooks``
(``service``) with its event types, connects its domain signals to ``Webhooks.emit``
and registers the outbox handler (``Webhooks.install``). ``signing`` signs and verifies
(the ``standardwebhooks`` library); ``addresses`` refuses destinations on private
networks and connects to the address it checked. ``docs/webhooks.md`` is the receivers'
manual.
"""

from shared.webhooks.service import Change, EventType, Recipient, WebhookError, Webhooks

__all__ = ["Change", "EventType", "Recipient", "WebhookError", "Webhooks"]
