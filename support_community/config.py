"""The Support Community's settings, read from environment variables (see the README's table)."""
from __future__ import annotations

import datetime as dt
import json

from shared.config import (app_env, development_secret, env, env_bool, env_int, instance_path,
                           mail_settings, proxy_hops, require_secrets, sqlite_url)

DEV_CLIENT_FILE = "community-client.json"


def _development_client() -> dict:
    """``panda demo`` registers the community as a client and leaves its credentials here."""
    path = instance_path() / DEV_CLIENT_FILE
    if path.exists():
        try:
            return json.loads(path.read_text())
        except ValueError:
            return {}
    return {}


def load_config() -> dict:
    mode = app_env()
    production = mode == "production"
    dev_client = {} if production else _development_client()
    redis_url = env("REDIS_URL")
    config: dict = {
        "APP_ENV": mode,
        "TESTING": mode == "testing",
        "SERVICE_NAME": "Support Community",
        "SECRET_KEY": env("COMMUNITY_SECRET_KEY") or env("SECRET_KEY")
        or (None if production else development_secret("community_secret_key")),
        "DATABASE_URL": env("COMMUNITY_DATABASE_URL", sqlite_url("community.db")),
        "INSTANCE_PATH": str(instance_path()),
        "PANDA_ISSUER": (env("PANDA_ISSUER", "http://127.0.0.1:5000") or "").rstrip("/"),
        # Where the community's server reaches Panda, when that differs from the public
        # issuer URL (inside a cluster, say). Defaults to the issuer.
        "PANDA_INTERNAL_URL": (env("PANDA_INTERNAL_URL") or "").rstrip("/") or None,
        "COMMUNITY_URL": (env("COMMUNITY_URL", "http://127.0.0.1:5001") or "").rstrip("/"),
        "COMMUNITY_CLIENT_ID": env("COMMUNITY_CLIENT_ID") or dev_client.get("client_id") or "support-community",
        "COMMUNITY_CLIENT_SECRET": env("COMMUNITY_CLIENT_SECRET") or dev_client.get("client_secret"),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "SESSION_COOKIE_NAME": "community_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", production),
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=env_int("COMMUNITY_SESSION_HOURS", 12)),
        "WTF_CSRF_TIME_LIMIT": None,
        "OIDC_HTTP_TIMEOUT": env_int("OIDC_HTTP_TIMEOUT", 5),
        "BABEL_DEFAULT_TIMEZONE": env("TIMEZONE", "Europe/Brussels"),
        "PREFERRED_URL_SCHEME": "https" if (env("COMMUNITY_URL") or "").startswith("https://") else "http",
        "ATTACHMENT_MAX_MB": env_int("ATTACHMENT_MAX_MB", 25),
        "ATTACHMENTS_PER_CASE_MAX_MB": env_int("ATTACHMENTS_PER_CASE_MAX_MB", 100),
        "ATTACHMENT_STORAGE_PATH": env("ATTACHMENT_STORAGE_PATH", str(instance_path() / "attachments")),
        "CASE_REOPEN_DAYS": env_int("CASE_REOPEN_DAYS", 30),
        "AGENTS_TEAM_ADDRESS": env("AGENTS_TEAM_ADDRESS", "support-team@community.localhost"),
        "AGENTS_TEAM_LOCALE": env("AGENTS_TEAM_LOCALE", "en"),
        "PROXY_FIX_HOPS": proxy_hops(),
    }
    # A request carries at most a few attachments at the per-file limit.
    config["MAX_CONTENT_LENGTH"] = (config["ATTACHMENT_MAX_MB"] * 5 + 1) * 1024 * 1024
    config.update(mail_settings())
    if mode == "testing":
        # Tests read what was sent from a real SMTP sink.
        config["MAIL_SUPPRESS_SEND"] = False
    config["MAIL_DEFAULT_SENDER"] = env("COMMUNITY_MAIL_DEFAULT_SENDER") or env(
        "MAIL_DEFAULT_SENDER", "Support Community <support@community.localhost>")
    require_secrets(config, {"SECRET_KEY": "COMMUNITY_SECRET_KEY", "DATABASE_URL": "COMMUNITY_DATABASE_URL",
                             "COMMUNITY_CLIENT_SECRET": "COMMUNITY_CLIENT_SECRET", "MAIL_SERVER": "MAIL_SERVER"})
    return config
