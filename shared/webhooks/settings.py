"""The settings of outgoing webhooks; both services list them in their ``config.SETTINGS``."""

from __future__ import annotations

from shared.settings import Setting

WEBHOOK_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES",
        bool,
        False,
        used_by="both",
        description="`true` lets webhook URLs lead to private, loopback and link-local addresses (a receiver on "
        "127.0.0.1 in development); never in production, where it would let anyone who may subscribe reach "
        "the internal network.",
    ),
    Setting(
        "WEBHOOK_TIMEOUT",
        float,
        10.0,
        used_by="both",
        shown_default="`10`",
        description="Seconds a webhook receiver has to connect and to answer each delivery.",
    ),
    Setting(
        "WEBHOOK_PAUSE_AFTER_FAILURES",
        int,
        30,
        used_by="both",
        description="Failed deliveries in a row after which a subscription is paused (and its creator told).",
    ),
    Setting(
        "WEBHOOK_PAUSE_AFTER_DAYS",
        int,
        3,
        used_by="both",
        description="Days of failing deliveries (none succeeding) after which a subscription is paused.",
    ),
    Setting(
        "WEBHOOK_KEEP_DAYS",
        int,
        30,
        used_by="both",
        description="Days webhook deliveries and their attempt logs are kept; `panda webhooks prune` and "
        "`community webhooks prune` (run daily) delete older ones, except those held for a paused subscription.",
    ),
)
