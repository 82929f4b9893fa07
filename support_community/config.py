"""The community's settings: every environment variable it reads, declared once.

The README's configuration table is made from these declarations.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from shared import settings as common
from shared.config import ConfigurationError, env, instance_path
from shared.settings import Setting
from shared.webhooks.settings import WEBHOOK_SETTINGS

DEV_CLIENT_FILE = "community-client.json"


def _development_client(values: dict[str, Any]) -> dict[str, str]:
    """``panda demo`` registers the community as a client and leaves its credentials here."""
    if values.get("APP_ENV") == "production":
        return {}
    path = instance_path() / DEV_CLIENT_FILE
    if path.exists():
        try:
            client = json.loads(path.read_text())
        except ValueError:
            return {}
        return client if isinstance(client, dict) else {}
    return {}


def _community_sender(values: dict[str, Any]) -> str:
    return env("MAIL_DEFAULT_SENDER") or "Support Community <support@community.localhost>"


def _reply_address(values: dict[str, Any]) -> str | None:
    """Replies by e-mail are on by default in development and tests, off in production until set."""
    value = env("COMMUNITY_REPLY_ADDRESS")
    if value is not None:
        return value.strip() or None
    return None if values.get("APP_ENV") == "production" else "support@community.localhost"


# Replies by e-mail (``support_community.inbound``): the address case mails carry, and the mailbox it is.
REPLIES_BY_MAIL: tuple[Setting, ...] = (
    Setting(
        "COMMUNITY_REPLY_ADDRESS",
        str,
        _reply_address,
        used_by="community",
        shown_default="`support@community.localhost` in development; none in production (replies by e-mail off)",
        description="The mailbox replies to case mails go to. Each case mail's `Reply-To` is this address with a "
        "signed token after a `+` (`support+token@…`), so the mailbox must accept `+` addresses. Setting it turns "
        "replies by e-mail on; then production requires the `COMMUNITY_IMAP_*` settings.",
    ),
    Setting(
        "COMMUNITY_IMAP_HOST",
        str,
        None,
        used_by="community",
        description="IMAP server `community mail fetch` reads the replies from.",
    ),
    Setting(
        "COMMUNITY_IMAP_PORT",
        int,
        None,
        used_by="community",
        shown_default="`993` with `tls`, `143` with `starttls` or `none`",
        description="Port of the IMAP server.",
    ),
    Setting(
        "COMMUNITY_IMAP_SECURITY",
        str,
        "tls",
        used_by="community",
        choices=("tls", "starttls", "none"),
        description="`tls` (IMAPS), `starttls`, or `none` (development and tests only; refused in production). "
        "The server's certificate is always checked.",
    ),
    Setting(
        "COMMUNITY_IMAP_CA_FILE",
        str,
        None,
        used_by="community",
        shown_default="the system's certificate authorities",
        description="PEM file of the certificate authorities the IMAP server's certificate is checked against.",
    ),
    Setting("COMMUNITY_IMAP_USERNAME", str, None, used_by="community", description="IMAP login."),
    Setting("COMMUNITY_IMAP_PASSWORD", str, None, used_by="community", description="IMAP password."),
    Setting(
        "COMMUNITY_IMAP_FOLDER",
        str,
        "INBOX",
        used_by="community",
        description="The folder replies arrive in. A message is deleted from it once the community has stored it.",
    ),
    Setting(
        "COMMUNITY_IMAP_POLL_SECONDS",
        float,
        30.0,
        used_by="community",
        shown_default="`30`",
        description="Seconds `community mail fetch` waits between two reads of the mailbox when it does not use IMAP "
        "IDLE (the server does not offer it, or `COMMUNITY_IMAP_IDLE_SECONDS` is `0`).",
    ),
    Setting(
        "COMMUNITY_IMAP_IDLE_SECONDS",
        float,
        1500.0,
        used_by="community",
        shown_default="`1500` (25 minutes)",
        description="`community mail fetch` waits for new mail with IMAP IDLE (RFC 2177) when the server offers it, "
        "so a reply is handled as soon as it arrives; it renews the IDLE after this many seconds (at most `1740`, "
        "the RFC's 29 minutes). `0` reads the mailbox every `COMMUNITY_IMAP_POLL_SECONDS` instead.",
    ),
)

# RFC 2177: a server may end a session idle for 30 minutes; a client re-issues IDLE at least every 29.
MAX_IMAP_IDLE_SECONDS = 29 * 60


# Service-level targets (``support_community.cases.services.sla``), counted in business hours.
SERVICE_LEVELS: tuple[Setting, ...] = (
    Setting(
        "SLA_FIRST_RESPONSE_HOURS",
        str,
        "critical=1,high=4,normal=8,low=16",
        used_by="community",
        description="Business hours within which an agent's first reply is due, per severity "
        "(`critical=1,high=4,normal=8,low=16`); a customer's later message is due an answer within the same time. "
        "A severity left out, or `0`, has no target. `community sla recompute` applies a change to open cases.",
    ),
    Setting(
        "SLA_RESOLUTION_HOURS",
        str,
        "critical=8,high=24,normal=40,low=80",
        used_by="community",
        description="Business hours within which a case is due to be solved, per severity; the time a case waits "
        "for the customer does not count.",
    ),
    Setting(
        "SLA_WARNING_HOURS",
        float,
        2.0,
        used_by="community",
        shown_default="`2`",
        description="Business hours before its due time when a case shows as breaching soon (the queue's "
        "*Breaching SLA* view holds these and the overdue ones).",
    ),
    Setting(
        "SLA_TIMEZONE",
        str,
        "Europe/Brussels",
        used_by="community",
        description="Time zone of the support team's business hours.",
    ),
    Setting(
        "SLA_BUSINESS_HOURS",
        str,
        "09:00-17:00",
        used_by="community",
        description="The team's working hours on a business day (`HH:MM-HH:MM`, wall-clock time in `SLA_TIMEZONE`).",
    ),
    Setting(
        "SLA_BUSINESS_DAYS",
        str,
        "mon-fri",
        used_by="community",
        description="The team's working days (`mon-fri`, or a list such as `mon,tue,thu,fri`).",
    ),
    Setting(
        "SLA_HOLIDAYS",
        str,
        "BE",
        used_by="community",
        description="Country whose public holidays are not business days, as the `holidays` package names it "
        "(`BE`: New Year, Easter Monday, Labour Day, Ascension, Whit Monday, 21 July, …); empty for none.",
    ),
)


# The API under ``/api/v1/`` (``support_community.api``, ``docs/api.md``).
API: tuple[Setting, ...] = (
    Setting(
        "COMMUNITY_API_RATE_LIMIT",
        str,
        "600/minute",
        used_by="community",
        description="Requests one token may make to the community's API (Flask-Limiter notation, e.g. "
        "`600/minute;20000/day`); kept in Redis when `REDIS_URL` is set. Answers carry `RateLimit-*` headers.",
    ),
    Setting(
        "COMMUNITY_API_INTROSPECTION_SECONDS",
        int,
        60,
        used_by="community",
        description="Seconds the API keeps Panda's answer about a personal access token (at most 60: a token revoked "
        "at Panda stops working within this time); a refusal is kept 10 seconds.",
    ),
)

SETTINGS: tuple[Setting, ...] = (
    common.APP_ENV,
    common.INSTANCE_PATH,
    common.PANDA_ISSUER,
    common.PANDA_INTERNAL_URL,
    common.COMMUNITY_URL,
    common.SECRET_KEY,
    Setting(
        "COMMUNITY_SECRET_KEY",
        str,
        common.secret_key_default("community_secret_key"),
        key="SECRET_KEY",
        used_by="community",
        shown_default="generated in development; **required in production**",
        description="Signs the community's sessions and CSRF tokens.",
    ),
    Setting(
        "COMMUNITY_DATABASE_URL",
        str,
        common.database_url_default("community.db"),
        key="DATABASE_URL",
        used_by="community",
        shown_default="`sqlite:///<INSTANCE_PATH>/community.db` in development; **required in production**",
        description="SQLAlchemy URL of the community's database.",
    ),
    common.REDIS_URL,
    Setting(
        "COMMUNITY_CLIENT_ID",
        str,
        lambda values: _development_client(values).get("client_id") or "support-community",
        used_by="community",
        shown_default="`support-community` (in development: what `panda demo` registered)",
        description="The community's client id at Panda.",
    ),
    Setting(
        "COMMUNITY_CLIENT_SECRET",
        str,
        lambda values: _development_client(values).get("client_secret"),
        used_by="community",
        shown_default="in development: what `panda demo` registered; **required in production**",
        description="The community's client secret at Panda (`panda clients add` prints it once).",
    ),
    Setting(
        "OIDC_HTTP_TIMEOUT",
        float,
        5.0,
        used_by="community",
        shown_default="`5`",
        description="Seconds the community waits for Panda's token, discovery and key endpoints.",
    ),
    Setting(
        "OIDC_METADATA_TTL",
        float,
        3600.0,
        used_by="community",
        shown_default="`3600`",
        description="Seconds the community keeps Panda's discovery document before reading it again.",
    ),
    Setting(
        "OIDC_JWKS_TTL",
        float,
        3600.0,
        used_by="community",
        shown_default="`3600`",
        description="Seconds the community keeps Panda's signing keys before reading them again.",
    ),
    Setting(
        "OIDC_JWKS_MIN_REFETCH_SECONDS",
        float,
        10.0,
        used_by="community",
        shown_default="`10`",
        description="Shortest interval between two reads of Panda's keys when a token names an unknown key.",
    ),
    Setting(
        "OIDC_MAX_TOKEN_BYTES",
        int,
        4_000_000,
        used_by="community",
        description="Largest token (in bytes) the community accepts from Panda.",
    ),
    Setting(
        "BACKCHANNEL_LOGOUT_MAX_AGE",
        int,
        300,
        used_by="community",
        description="Seconds after its issue during which a back-channel logout token or an access event from "
        "Panda is accepted.",
    ),
    Setting("ATTACHMENT_MAX_MB", int, 25, used_by="community", description="Largest attachment accepted, in MB."),
    Setting(
        "ATTACHMENTS_PER_CASE_MAX_MB",
        int,
        100,
        used_by="community",
        description="Total size of one case's attachments, in MB.",
    ),
    Setting(
        "ATTACHMENT_STORAGE_PATH",
        str,
        lambda values: str(instance_path() / "attachments"),
        used_by="community",
        shown_default="`<INSTANCE_PATH>/attachments`",
        description="Folder where attachments are stored under random names, outside the web root.",
    ),
    Setting(
        "CASE_REOPEN_DAYS",
        int,
        30,
        used_by="community",
        description="Days during which a solved or closed case can be reopened by the customer.",
    ),
    Setting(
        "CASE_RATING_DAYS",
        int,
        14,
        used_by="community",
        description="Days after a case is solved during which its customers may rate it (good or bad) or change "
        "their rating, from the case page or the links in the mail that says it is solved.",
    ),
    Setting(
        "AGENTS_TEAM_ADDRESS",
        str,
        "support-team@community.localhost",
        used_by="community",
        description="Where mails about new cases and customer replies go while a case has no assignee.",
    ),
    Setting(
        "AGENTS_TEAM_LOCALE",
        str,
        "en",
        used_by="community",
        description="Language (`en`, `nl`, `fr`) of the mails sent to the agents' team address.",
    ),
    Setting(
        "ORGANIZATION_SELECT_LIMIT",
        int,
        50,
        used_by="community",
        description="Up to this many organizations, the cross-client list filters by organization with a "
        "drop-down; above it, with a search field.",
    ),
    Setting(
        "SWITCHER_MENU_LIMIT",
        int,
        10,
        used_by="community",
        description="Organizations listed in the *Switch organization* menu before it links to the full list.",
    ),
    *REPLIES_BY_MAIL,
    *SERVICE_LEVELS,
    *API,
    *common.MAIL,
    common.MAIL_DEFAULT_SENDER,
    Setting(
        "COMMUNITY_MAIL_DEFAULT_SENDER",
        str,
        _community_sender,
        key="MAIL_DEFAULT_SENDER",
        used_by="community",
        shown_default="`Support Community <support@community.localhost>`",
        description="The From of the community's mails.",
    ),
    common.MAIL_TIMEOUT,
    common.SESSION_COOKIE_SECURE,
    Setting(
        "COMMUNITY_SESSION_HOURS", int, 12, used_by="community", description="Hours a sign-in to the community lasts."
    ),
    *WEBHOOK_SETTINGS,
    common.PROXY_FIX_HOPS,
    common.TIMEZONE,
    common.LOG_LEVEL,
)

FIXED: dict[str, Any] = {
    "SERVICE_NAME": "Support Community",
    "SESSION_COOKIE_NAME": "community_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
}


def load_config() -> dict[str, Any]:
    config = common.read(SETTINGS)
    config.pop("SHARED_SECRET_KEY")
    config.update(FIXED)
    mode = config["APP_ENV"]
    config["TESTING"] = mode == "testing"
    config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"] or "memory://"
    config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=config["COMMUNITY_SESSION_HOURS"])
    config["PREFERRED_URL_SCHEME"] = "https" if config["COMMUNITY_URL"].startswith("https://") else "http"
    # A request carries at most a few attachments at the per-file limit.
    config["MAX_CONTENT_LENGTH"] = (config["ATTACHMENT_MAX_MB"] * 5 + 1) * 1024 * 1024
    if mode == "testing":
        # Tests read what was sent from a real SMTP sink.
        config["MAIL_SUPPRESS_SEND"] = False
    common.refuse_weak_production_settings(
        config,
        required={
            "DATABASE_URL": "COMMUNITY_DATABASE_URL",
            "MAIL_SERVER": "MAIL_SERVER",
            "REDIS_URL": "REDIS_URL",
            "COMMUNITY_CLIENT_SECRET": "COMMUNITY_CLIENT_SECRET",
        },
        secrets={"SECRET_KEY": "COMMUNITY_SECRET_KEY"},
        https_urls={"PANDA_ISSUER": "PANDA_ISSUER", "COMMUNITY_URL": "COMMUNITY_URL"},
    )
    _refuse_unsafe_replies_by_mail(config)
    _refuse_unclear_service_levels(config)
    return config


def _refuse_unclear_service_levels(config: dict[str, Any]) -> None:
    """The business calendar and the targets are read once here, so a wrong value stops the service at start."""
    from support_community.cases.business_hours import BusinessCalendar, CalendarSettingError, parse_targets

    severities = ("critical", "high", "normal", "low")
    try:
        BusinessCalendar.from_settings(
            zone=config["SLA_TIMEZONE"],
            hours=config["SLA_BUSINESS_HOURS"],
            days=config["SLA_BUSINESS_DAYS"],
            country=config["SLA_HOLIDAYS"] or "",
        )
        parse_targets(config["SLA_FIRST_RESPONSE_HOURS"], severities)
        parse_targets(config["SLA_RESOLUTION_HOURS"], severities)
    except CalendarSettingError as error:
        raise ConfigurationError(f"SLA settings: {error}") from None


def _refuse_unsafe_replies_by_mail(config: dict[str, Any]) -> None:
    """Replies by e-mail, when switched on: a usable address and, in production, a mailbox read over TLS."""
    address = config["COMMUNITY_REPLY_ADDRESS"]
    if config["COMMUNITY_IMAP_PORT"] is None:
        config["COMMUNITY_IMAP_PORT"] = 993 if config["COMMUNITY_IMAP_SECURITY"] == "tls" else 143
    if not 0 <= config["COMMUNITY_IMAP_IDLE_SECONDS"] <= MAX_IMAP_IDLE_SECONDS:
        raise ConfigurationError(
            f"COMMUNITY_IMAP_IDLE_SECONDS must be between 0 (no IDLE) and {MAX_IMAP_IDLE_SECONDS} (RFC 2177's 29 "
            f"minutes), not {config['COMMUNITY_IMAP_IDLE_SECONDS']:g}"
        )
    if not address:
        return
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or "+" in local or len(local) > 14 or not local.isascii():
        raise ConfigurationError(
            f"COMMUNITY_REPLY_ADDRESS must be a plain address with a short local part (at most 14 characters, "
            f"without +), such as support@community.example.com, not {address!r}."
        )
    if config["APP_ENV"] in {"development", "testing"}:
        return
    common.refuse_weak_production_settings(
        config,
        required={
            "COMMUNITY_IMAP_HOST": "COMMUNITY_IMAP_HOST",
            "COMMUNITY_IMAP_USERNAME": "COMMUNITY_IMAP_USERNAME",
            "COMMUNITY_IMAP_PASSWORD": "COMMUNITY_IMAP_PASSWORD",
        },
        secrets={},
        https_urls={},
    )
    if config["COMMUNITY_IMAP_SECURITY"] == "none":
        raise ConfigurationError(
            "COMMUNITY_IMAP_SECURITY must be tls or starttls in production: the mailbox password and the "
            "customers' replies must not cross the network in clear."
        )
