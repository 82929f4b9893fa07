"""Panda's settings: every environment variable it reads, declared once (the README's table is made from them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared import settings as common
from shared.settings import Setting
from shared.webhooks.settings import WEBHOOK_SETTINGS

SETTINGS: tuple[Setting, ...] = (
    common.APP_ENV,
    common.INSTANCE_PATH,
    common.PANDA_ISSUER,
    common.COMMUNITY_URL,
    common.SECRET_KEY,
    Setting(
        "PANDA_SECRET_KEY",
        str,
        common.secret_key_default("panda_secret_key"),
        key="SECRET_KEY",
        used_by="Panda",
        shown_default="generated in development; **required in production**",
        description="Signs Panda's sessions and CSRF tokens.",
    ),
    Setting(
        "PANDA_DATABASE_URL",
        str,
        common.database_url_default("panda.db"),
        key="DATABASE_URL",
        used_by="Panda",
        shown_default="`sqlite:///<INSTANCE_PATH>/panda.db` in development; **required in production**",
        description="SQLAlchemy URL of Panda's database, e.g. `postgresql://user:password@host:5432/panda`.",
    ),
    common.REDIS_URL,
    *common.MAIL,
    common.MAIL_DEFAULT_SENDER,
    common.MAIL_TIMEOUT,
    common.SESSION_COOKIE_SECURE,
    Setting("PANDA_SESSION_HOURS", int, 12, used_by="Panda", description="Hours a sign-in to Panda lasts."),
    Setting(
        "PASSWORD_MIN_LENGTH",
        int,
        15,
        used_by="Panda",
        description="Shortest password accepted (NIST SP 800-63B: at least 15 for a password-only account).",
    ),
    Setting(
        "RATELIMIT_ENABLED",
        bool,
        True,
        used_by="Panda",
        description="`false` switches every rate limit off (never in production).",
    ),
    Setting(
        "SIGN_IN_LIMIT_PER_ACCOUNT",
        str,
        "10 per 15 minutes",
        used_by="Panda",
        description=(
            "Failed sign-ins allowed per account from one client address (the owner elsewhere is not locked out)."
        ),
    ),
    Setting(
        "SIGN_IN_LIMIT_PER_ADDRESS",
        str,
        "50 per 15 minutes",
        used_by="Panda",
        description="Failed sign-ins allowed per client address, across all accounts (an IPv6 client: its /64).",
    ),
    Setting(
        "EMAIL_LIMIT_PER_ADDRESS",
        str,
        "20 per hour",
        used_by="Panda",
        description="Mails (verification, password reset) one client address may trigger.",
    ),
    # Failed "Add an organization" look-ups per account: the pair of numbers is the secret.
    Setting(
        "ADD_ORGANIZATION_LIMIT",
        str,
        "10 per hour",
        used_by="Panda",
        description='Failed "Add an organization" look-ups (customer number + enterprise number) per account.',
    ),
    Setting(
        "ADD_ORGANIZATION_LIMIT_PER_ADDRESS",
        str,
        "30 per hour",
        used_by="Panda",
        description='Failed "Add an organization" look-ups per client address, whichever account makes them.',
    ),
    Setting(
        "ADD_ORGANIZATION_LIMIT_PER_ENTERPRISE_NUMBER",
        str,
        "20 per day",
        used_by="Panda",
        description='Failed "Add an organization" look-ups per enterprise number, whoever makes them: '
        "guessing one company's customer number stops there (and so do further tries with that number, "
        "until the period ends).",
    ),
    Setting(
        "VENDOR_SUPPORT_URL",
        str,
        lambda values: values["COMMUNITY_URL"],
        used_by="Panda",
        shown_default="`COMMUNITY_URL`",
        description="The vendor's support, linked from the mail a customer's contact address receives when "
        'someone adds their organization to Panda ("if that is wrong, contact us").',
    ),
    Setting("ACCESS_TOKEN_SECONDS", int, 300, used_by="Panda", description="Lifetime of an access token."),
    Setting("ID_TOKEN_SECONDS", int, 300, used_by="Panda", description="Lifetime of an ID token."),
    Setting("REFRESH_TOKEN_DAYS", int, 30, used_by="Panda", description="Lifetime of a refresh token."),
    Setting(
        "BACKCHANNEL_LOGOUT_TIMEOUT",
        float,
        5.0,
        used_by="Panda",
        shown_default="`5`",
        description="Seconds Panda's outbox worker waits for a client's back-channel endpoint (logout tokens "
        "and access events it retries).",
    ),
    Setting(
        "BACKCHANNEL_PUSH_TIMEOUT",
        float,
        3.0,
        used_by="Panda",
        shown_default="`3`",
        description="Seconds a request that changed someone's access (or ended a session) waits for each "
        "client's back-channel endpoint before answering; a client that does not answer in time is left "
        "to the outbox worker.",
    ),
    *WEBHOOK_SETTINGS,
    Setting(
        "PANDA_API_RATE_LIMIT",
        str,
        "600/minute",
        used_by="Panda",
        description="Requests one token may make to Panda's API (Flask-Limiter notation, e.g. "
        "`600/minute;20000/day`); kept in Redis when `REDIS_URL` is set. Answers carry `RateLimit-*` headers.",
    ),
    common.PROXY_FIX_HOPS,
    common.TIMEZONE,
    common.LOG_LEVEL,
)

# Fixed for every installation: product decisions, not operators' choices.
FIXED: dict[str, Any] = {
    "SERVICE_NAME": "Panda",
    "SESSION_COOKIE_NAME": "panda_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the (server-side) session
    "RATELIMIT_HEADERS_ENABLED": False,
    "PASSWORD_MAX_LENGTH": 128,
    "VERIFICATION_LINK_HOURS": 24,
    "PASSWORD_RESET_LINK_MINUTES": 60,
    "AUTHORIZATION_CODE_SECONDS": 60,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
}


def load_config() -> dict[str, Any]:
    config = common.read(SETTINGS)
    config.pop("SHARED_SECRET_KEY")
    config.update(FIXED)
    mode = config["APP_ENV"]
    config["TESTING"] = mode == "testing"
    config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"] or "memory://"
    config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=config["PANDA_SESSION_HOURS"])
    config["PREFERRED_URL_SCHEME"] = "https" if config["PANDA_ISSUER"].startswith("https://") else "http"
    if mode == "testing":
        config["MAIL_SUPPRESS_SEND"] = False
    common.refuse_weak_production_settings(
        config,
        required={"DATABASE_URL": "PANDA_DATABASE_URL", "MAIL_SERVER": "MAIL_SERVER", "REDIS_URL": "REDIS_URL"},
        secrets={"SECRET_KEY": "PANDA_SECRET_KEY"},
        https_urls={"PANDA_ISSUER": "PANDA_ISSUER", "COMMUNITY_URL": "COMMUNITY_URL"},
    )
    return config
