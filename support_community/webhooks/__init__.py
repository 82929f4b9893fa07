"""Webhooks of the community: case events sent, signed, to the URLs organizations and the vendor subscribe.

``init_webhooks`` registers the pages, the outbox handler, the ``webhooks prune`` command and the listeners of
``cases.signals``.
"""

from __future__ import annotations

from flask import Flask


def init_webhooks(app: Flask) -> None:
    from shared.webhooks.cli import register_webhook_commands
    from support_community.cases import signals
    from support_community.webhooks import services
    from support_community.webhooks.views import bp

    app.register_blueprint(bp)
    # Its routes join the API's blueprint, which ``init_api`` registers after this.
    from support_community.webhooks import api  # noqa: F401

    services.webhooks.install(app)
    register_webhook_commands(app, services.webhooks)
    signals.case_opened.connect(services.case_opened, weak=False)
    signals.message_added.connect(services.message_added, weak=False)
    signals.status_changed.connect(services.status_changed, weak=False)
    signals.case_assigned.connect(services.case_assigned, weak=False)
