"""Every setting, declared once: its environment variable, type, default and meaning.

Each service lists the settings it reads (``panda_portal/config.py``,
``support_community/config.py``) from the declarations here and its own; ``read``
turns them into the Flask configuration. The README's configuration table is
rendered from the same declarations (``python -m shared.settings``) and a test
fails when the two disagree, so a setting cannot be added, renamed or given another
default without the manual saying so.

A default is a value, or a function of the values read before it (the settings are
read in the order they are declared), for defaults that depend on the mode or on
another setting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.config import (
    ConfigurationError,
    development_secret,
    env,
    env_bool,
    env_float,
    env_int,
    instance_path,
    sqlite_url,
)

Default = Any  # a value, or Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Setting:
    """One environment variable a service or its deployment reads."""

    name: str
    type: type
    default: Default
    description: str
    used_by: str
    key: str | None = None  # the Flask configuration key, when it differs from the variable's name
    shown_default: str | None = None  # how the README shows a default that is computed
    choices: tuple[str, ...] | None = None  # the only values accepted (compared in lower case)

    @property
    def config_key(self) -> str:
        return self.key or self.name

    def read(self, values: dict[str, Any]) -> Any:
        if self.type is bool:
            raw = env(self.name)
            return self._default(values) if raw is None else env_bool(self.name)
        if self.type is int:
            raw = env(self.name)
            return self._default(values) if raw is None else env_int(self.name, 0)
        if self.type is float:
            raw = env(self.name)
            return self._default(values) if raw is None else env_float(self.name, 0.0)
        value = env(self.name)
        if value is None:
            return self._default(values)
        if self.choices is not None:
            value = value.lower()
            if value not in self.choices:
                raise ConfigurationError(f"{self.name} must be {_one_of(self.choices)}, not {value!r}")
        return value

    def _default(self, values: dict[str, Any]) -> Any:
        return self.default(values) if callable(self.default) else self.default

    def readme_default(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return f"`{str(self.default).lower()}`"
        return f"`{self.default}`"


def _one_of(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


def read(settings: Iterable[Setting]) -> dict[str, Any]:
    """The configuration the declared settings give in this environment, in declaration order."""
    values: dict[str, Any] = {}
    for setting in settings:
        values[setting.config_key] = setting.read(values)
    return values


def _production(values: dict[str, Any]) -> bool:
    return values.get("APP_ENV") == "production"


def secret_key_default(generated_name: str) -> Callable[[dict[str, Any]], str | None]:
    """The shared ``SECRET_KEY`` when set; else a generated one in development, none in production."""

    def default(values: dict[str, Any]) -> str | None:
        if values.get("SHARED_SECRET_KEY"):
            return values["SHARED_SECRET_KEY"]
        return None if _production(values) else development_secret(generated_name)

    return default


def _stripped_url(name: str, default: str) -> Callable[[dict[str, Any]], str]:
    return lambda values: (env(name, default) or "").rstrip("/")


# -- the settings both services read --------------------------------------------------------------
APP_ENV = Setting(
    "APP_ENV",
    str,
    "development",
    used_by="both",
    choices=("development", "testing", "production"),
    description="`development`, `testing` or `production`.",
)
INSTANCE_PATH = Setting(
    "INSTANCE_PATH",
    str,
    lambda values: str(instance_path()),
    used_by="both",
    shown_default="`instance/` in the project",
    description="Folder for files the service keeps (development secrets and SQLite databases).",
)
PANDA_ISSUER = Setting(
    "PANDA_ISSUER",
    str,
    _stripped_url("PANDA_ISSUER", "http://127.0.0.1:5000"),
    used_by="both",
    shown_default="`http://127.0.0.1:5000`",
    description="Panda's public base URL: the OpenID issuer and the base of every link in Panda's mails. "
    "Must be `https://` in production.",
)
PANDA_INTERNAL_URL = Setting(
    "PANDA_INTERNAL_URL",
    str,
    None,
    used_by="community",
    shown_default="`PANDA_ISSUER`",
    description="Where the community's server reaches Panda when that differs from the public address "
    "(inside a cluster).",
)
COMMUNITY_URL = Setting(
    "COMMUNITY_URL",
    str,
    _stripped_url("COMMUNITY_URL", "http://127.0.0.1:5001"),
    used_by="both",
    shown_default="`http://127.0.0.1:5001`",
    description="The Support Community's public base URL (its redirect URI, links in mails).",
)
SECRET_KEY = Setting(
    "SECRET_KEY",
    str,
    None,
    key="SHARED_SECRET_KEY",
    used_by="both",
    description="Used by a service whose own secret key is not set. Prefer one key per service.",
)
REDIS_URL = Setting(
    "REDIS_URL",
    str,
    None,
    used_by="both",
    shown_default="none (limits kept per process); **required in production**",
    description="Redis for rate limits shared by every instance, e.g. `redis://redis:6379/0`.",
)
MAIL = (
    Setting(
        "MAIL_SERVER", str, "127.0.0.1", used_by="both", description="SMTP server (in development: the mail catcher)."
    ),
    Setting("MAIL_PORT", int, 1025, used_by="both", description="SMTP port."),
    Setting("MAIL_USE_TLS", bool, False, used_by="both", description="STARTTLS after connecting."),
    Setting("MAIL_USE_SSL", bool, False, used_by="both", description="TLS from the first byte (port 465)."),
    Setting("MAIL_USERNAME", str, None, used_by="both", description="SMTP login."),
    Setting("MAIL_PASSWORD", str, None, used_by="both", description="SMTP password."),
)
MAIL_DEFAULT_SENDER = Setting(
    "MAIL_DEFAULT_SENDER",
    str,
    "Panda <no-reply@panda.localhost>",
    used_by="both",
    description="The From of Panda's mails; the community's when `COMMUNITY_MAIL_DEFAULT_SENDER` is not set.",
)
MAIL_TIMEOUT = Setting("MAIL_TIMEOUT", int, 15, used_by="both", description="Seconds to wait for the SMTP server.")
SESSION_COOKIE_SECURE = Setting(
    "SESSION_COOKIE_SECURE",
    bool,
    _production,
    used_by="both",
    shown_default="`true` in production, else `false`",
    description="Send the session cookie over https only.",
)
PROXY_FIX_HOPS = Setting(
    "PROXY_FIX_HOPS",
    int,
    0,
    used_by="both",
    description="Number of reverse proxies in front of the service whose `X-Forwarded-For/-Proto/-Host` headers "
    "are trusted (client addresses for rate limits, https links). `0` trusts none.",
)
TIMEZONE = Setting(
    "TIMEZONE",
    str,
    "Europe/Brussels",
    key="BABEL_DEFAULT_TIMEZONE",
    used_by="both",
    description="Time zone in which dates and times are shown.",
)
LOG_LEVEL = Setting(
    "LOG_LEVEL",
    str,
    "INFO",
    used_by="both, deploy",
    description="Level of the services' logs and of gunicorn's (`DEBUG`, `INFO`, `WARNING`, …).",
)


# -- how a process runs: its name, its logs, its metrics and traces ------------------------------------
# Read by every process of both services (servers, workers, commands) through ``shared.app`` and
# ``shared.logs``/``shared.metrics``, and by deploy/gunicorn.conf.py, before any Flask configuration
# exists (gunicorn's master, its hooks): they are process settings, not a service's configuration,
# so they are read here (``operations_settings()``) rather than through ``app.config``.
def _default_instance_name(values: dict[str, Any]) -> str:
    import socket

    return socket.gethostname()


def _default_log_format(values: dict[str, Any]) -> str:
    return "json" if (env("APP_ENV") or "").lower() == "production" else "text"


OPERATIONS = (
    Setting(
        "INSTANCE_NAME",
        str,
        _default_instance_name,
        used_by="both, deploy",
        shown_default="the host name (in Kubernetes: the pod's name)",
        description="Names this instance in the `X-Served-By` header, `/healthz`, every log line and the metrics.",
    ),
    Setting(
        "LOG_FORMAT",
        str,
        _default_log_format,
        used_by="both, deploy",
        choices=("json", "text"),
        shown_default="`json` in production, else `text`",
        description="`json`: one JSON object per line (time, level, service, instance, request id, person id, "
        "message; a request's method, path, status and duration). `text`: one readable line.",
    ),
    Setting(
        "METRICS_ALLOWED_NETWORKS",
        str,
        "127.0.0.1/32,::1/128",
        used_by="both, deploy",
        description="Addresses (comma-separated networks) that may read `/metrics` on the service's port; a "
        "request that came through a proxy (`X-Forwarded-For`) never may.",
    ),
    Setting(
        "PROMETHEUS_MULTIPROC_DIR",
        str,
        None,
        used_by="both, deploy",
        shown_default="a new temporary folder per gunicorn master",
        description="Folder where the processes of one instance (gunicorn's workers, an outbox worker) keep their "
        "metrics for `/metrics` to add up; emptied when gunicorn starts. One folder per instance.",
    ),
    Setting(
        "OTEL_TRACING",
        bool,
        False,
        used_by="both, deploy",
        description="`true` sends OpenTelemetry traces of requests to "
        "`OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP over HTTP; the `OTEL_*` variables of the SDK apply).",
    ),
    Setting(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        str,
        "http://127.0.0.1:4318",
        used_by="both, deploy",
        description="Where traces go when `OTEL_TRACING` is on (an OpenTelemetry collector).",
    ),
)


def operations_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The process settings (``OPERATIONS``) from the environment; ``overrides`` (by name) win."""
    values = read(OPERATIONS)
    for setting in OPERATIONS:
        if overrides and setting.name in overrides:
            values[setting.config_key] = overrides[setting.name]
    return values


# -- read by the deployment (deploy/gunicorn.conf.py, deploy/entrypoint.sh), not by the services --------
# The process settings above are listed with them: the env examples and the README document both.
DEPLOY = (
    *OPERATIONS,
    Setting("PORT", int, 8000, used_by="deploy", description="Port gunicorn listens on (`deploy/gunicorn.conf.py`)."),
    Setting(
        "WEB_CONCURRENCY",
        int,
        None,
        used_by="deploy",
        shown_default="1 per CPU (the container's CPU limit), at least 2, at most 8 (`make run`: 2)",
        description="Gunicorn worker processes (Panda: about 120 MiB each; see `bench/README.md`).",
    ),
    Setting("GUNICORN_THREADS", int, 4, used_by="deploy", description="Threads per gunicorn worker."),
    Setting(
        "GUNICORN_TIMEOUT",
        int,
        30,
        used_by="deploy",
        description="Seconds a request may run before its worker is replaced.",
    ),
    Setting(
        "GUNICORN_GRACEFUL_TIMEOUT",
        int,
        30,
        used_by="deploy",
        description="Seconds given to requests in flight when stopping.",
    ),
    Setting(
        "GUNICORN_MAX_REQUESTS",
        int,
        100000,
        used_by="deploy",
        description="Requests after which a gunicorn worker is replaced (with a random jitter of up to half as many).",
    ),
    Setting(
        "FORWARDED_ALLOW_IPS",
        str,
        "127.0.0.1,::1",
        used_by="deploy",
        description="Reverse proxies whose `X-Forwarded-Proto` gunicorn trusts.",
    ),
    Setting(
        "MIGRATE_ON_START",
        str,
        "1",
        used_by="deploy",
        description="`deploy/entrypoint.sh` runs `db upgrade` before serving or working; `0` where a separate "
        "job migrates.",
    ),
)


def database_url_default(filename: str) -> Callable[[dict[str, Any]], str | None]:
    """SQLite under the instance folder in development and tests; production names its database."""
    return lambda values: None if _production(values) else sqlite_url(filename)


MIN_SECRET_BYTES = 32


def refuse_weak_production_settings(
    config: dict[str, Any], *, required: dict[str, str], secrets: dict[str, str], https_urls: dict[str, str]
) -> None:
    """Outside development and tests, refuse to start on settings that would be unsafe, naming each one.

    ``required``, ``secrets`` and ``https_urls`` map configuration keys to the environment
    variables that set them: required ones must be set, secrets must hold at least
    ``MIN_SECRET_BYTES`` bytes, URLs must be ``https://``.
    """
    if config.get("APP_ENV") in {"development", "testing"}:
        return
    problems: list[str] = []
    missing = [variable for key, variable in {**required, **secrets}.items() if not config.get(key)]
    if missing:
        problems.append("Missing required setting(s) for production: " + ", ".join(missing) + ".")
    short = [
        variable
        for key, variable in secrets.items()
        if config.get(key) and len(str(config[key]).encode()) < MIN_SECRET_BYTES
    ]
    if short:
        problems.append(
            f"{', '.join(short)} must be at least {MIN_SECRET_BYTES} bytes long in production "
            '(make one: python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    plain = [
        variable
        for key, variable in https_urls.items()
        if config.get(key) and not str(config[key]).startswith("https://")
    ]
    for variable in plain:
        problems.append(f"{variable} must be an https:// URL in production.")
    if problems:
        raise ConfigurationError(" ".join(problems) + " Set them as environment variables (see deploy/*.env.example).")


# -- the README's table ---------------------------------------------------------------------------
TABLE_HEADER = ("| Variable | Used by | Default | Meaning |", "|---|---|---|---|")

# The README groups settings by subject rather than by service; settings not named here follow.
README_ORDER = (
    "APP_ENV",
    "INSTANCE_PATH",
    "PANDA_ISSUER",
    "PANDA_INTERNAL_URL",
    "COMMUNITY_URL",
    "PANDA_SECRET_KEY",
    "COMMUNITY_SECRET_KEY",
    "SECRET_KEY",
    "PANDA_DATABASE_URL",
    "COMMUNITY_DATABASE_URL",
    "REDIS_URL",
    "COMMUNITY_CLIENT_ID",
    "COMMUNITY_CLIENT_SECRET",
    "OIDC_HTTP_TIMEOUT",
    "OIDC_METADATA_TTL",
    "OIDC_JWKS_TTL",
    "OIDC_JWKS_MIN_REFETCH_SECONDS",
    "OIDC_MAX_TOKEN_BYTES",
    "BACKCHANNEL_LOGOUT_MAX_AGE",
    "ATTACHMENT_MAX_MB",
    "ATTACHMENTS_PER_CASE_MAX_MB",
    "ATTACHMENT_STORAGE_PATH",
    "CASE_REOPEN_DAYS",
    "AGENTS_TEAM_ADDRESS",
    "AGENTS_TEAM_LOCALE",
    "ORGANIZATION_SELECT_LIMIT",
    "SWITCHER_MENU_LIMIT",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "COMMUNITY_MAIL_DEFAULT_SENDER",
    "MAIL_TIMEOUT",
    "SESSION_COOKIE_SECURE",
    "PANDA_SESSION_HOURS",
    "COMMUNITY_SESSION_HOURS",
    "PASSWORD_MIN_LENGTH",
    "RATELIMIT_ENABLED",
    "SIGN_IN_LIMIT_PER_ACCOUNT",
    "SIGN_IN_LIMIT_PER_ADDRESS",
    "EMAIL_LIMIT_PER_ADDRESS",
    "ADD_ORGANIZATION_LIMIT",
    "ACCESS_TOKEN_SECONDS",
    "ID_TOKEN_SECONDS",
    "REFRESH_TOKEN_DAYS",
    "BACKCHANNEL_LOGOUT_TIMEOUT",
    "PROXY_FIX_HOPS",
    "TIMEZONE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "INSTANCE_NAME",
    "METRICS_ALLOWED_NETWORKS",
    "PROMETHEUS_MULTIPROC_DIR",
    "OTEL_TRACING",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


def documented_settings(*service_settings: Sequence[Setting]) -> list[Setting]:
    """Every setting of the services and the deployment once, in the README's order."""
    seen: dict[str, Setting] = {}
    for setting in (*(s for settings in service_settings for s in settings), *DEPLOY):
        if setting.name in seen and seen[setting.name] != setting:
            raise ConfigurationError(f"{setting.name} is declared twice, differently")
        seen.setdefault(setting.name, setting)
    rank = {name: position for position, name in enumerate(README_ORDER)}
    return sorted(seen.values(), key=lambda s: (s.used_by == "deploy", rank.get(s.name, len(rank))))


def readme_table(*service_settings: Sequence[Setting]) -> str:
    """The README's configuration table, rendered from the declarations."""
    rows = [
        f"| `{s.name}` | {s.used_by} | {s.readme_default()} | {s.description} |"
        for s in documented_settings(*service_settings)
    ]
    return "\n".join([*TABLE_HEADER, *rows])
