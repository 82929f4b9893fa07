"""Webhooks of Panda: membership, access and join-request events sent, signed, to subscribed URLs.

``init_webhooks`` registers the pages, the outbox handler, the ``webhooks prune`` command and the listeners of
``organizations.signals`` (organizations never import webhooks).
"""

from __future__ import annotations

from flask import Flask


def init_webhooks(app: Flask) -> None:
    from panda_portal.organizations import signals
    from panda_portal.webhooks import services
    from panda_portal.webhooks.views import bp
    from shared.webhooks.cli import register_webhook_commands

    app.register_blueprint(bp)
    # Its routes join the API's blueprint, which ``init_api`` registers after this.
    from panda_portal.webhooks import api  # noqa: F401

    services.webhooks.install(app)
    register_webhook_commands(app, services.webhooks)
    signals.access_reduced.connect(services.access_changed, weak=False)
    signals.access_granted.connect(services.access_changed, weak=False)
    signals.join_requested.connect(services.join_requested, weak=False)
