"""What happens to cases, for those above the cases domain to react to (webhooks).

Sent by the case services in the transaction of the change, with the application as
sender; a receiver that writes (an outbox row) writes in that same transaction.

``case_opened``     ``(app, case=Case, actor=Person)``
``message_added``   ``(app, case=Case, message=CaseMessage, actor=Person)``: a public reply
                    or an internal note (``message.is_internal``)
``status_changed``  ``(app, case=Case, old=Status, new=Status, actor=Person)``
``case_assigned``   ``(app, case=Case, assignee=Person | None, actor=Person)``
"""

from __future__ import annotations

from typing import Any, cast

from blinker import NamedSignal, Namespace
from flask import Flask, current_app
from werkzeug.local import LocalProxy

_signals = Namespace()

case_opened = _signals.signal("case-opened")
message_added = _signals.signal("message-added")
status_changed = _signals.signal("status-changed")
case_assigned = _signals.signal("case-assigned")


def announce(signal: NamedSignal, **data: Any) -> None:
    """Send ``signal`` with the application itself (not the context-local proxy) as sender."""
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    signal.send(app, **data)
