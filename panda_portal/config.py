"""Panda's settings, read from environment variables (see the README's table)."""
from __future__ import annotations

import datetime as dt

from shared.config import (app_env, development_secret, env, env_bool, env_int, instance_path,
                           mail_settings, proxy_hops, require_secrets, sqlite_url)


def load_config() -> dict:
    mode = app_env()
    production = mode == "production"
    issuer = (env("PANDA_ISSUER", "http://127.0.0.1:5000") or "").rstrip("/")
    redis_url = env("REDIS_URL")
    config: dict = {
        "APP_ENV": mode,
        "TESTING": mode == "testing",
        "SERVICE_NAME": "Panda",
        "SECRET_KEY": env("PANDA_SECRET_KEY") or env("SECRET_KEY")
        or (None if production else development_secret("panda_secret_key")),
        "DATABASE_URL": env("PANDA_DATABASE_URL", sqlite_url("panda.db")),
        "INSTANCE_PATH": str(instance_path()),
        "PANDA_ISSUER": issuer,
        "COMMUNITY_URL": (env("COMMUNITY_URL", "http://127.0.0.1:5001") or "").rstrip("/"),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_ENABLED": env_bool("RATELIMIT_ENABLED", True),
        "SESSION_COOKIE_NAME": "panda_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", production),
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=env_int("PANDA_SESSION_HOURS", 12)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the (server-side) session
        "PASSWORD_MIN_LENGTH": env_int("PASSWORD_MIN_LENGTH", 15),
        "PASSWORD_MAX_LENGTH": 128,
        "SIGN_IN_LIMIT_PER_ACCOUNT": env("SIGN_IN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"),
        "SIGN_IN_LIMIT_PER_ADDRESS": env("SIGN_IN_LIMIT_PER_ADDRESS", "50 per 15 minutes"),
        "EMAIL_LIMIT_PER_ADDRESS": env("EMAIL_LIMIT_PER_ADDRESS", "20 per hour"),
        # Failed "Add an organization" look-ups per account: the pair of numbers is the secret.
        "ADD_ORGANIZATION_LIMIT": env("ADD_ORGANIZATION_LIMIT", "10 per hour"),
        "VERIFICATION_LINK_HOURS": 24,
        "PASSWORD_RESET_LINK_MINUTES": 60,
        "ACCESS_TOKEN_SECONDS": env_int("ACCESS_TOKEN_SECONDS", 300),
        "ID_TOKEN_SECONDS": env_int("ID_TOKEN_SECONDS", 300),
        "REFRESH_TOKEN_DAYS": env_int("REFRESH_TOKEN_DAYS", 30),
        "AUTHORIZATION_CODE_SECONDS": 60,
        "BABEL_DEFAULT_TIMEZONE": env("TIMEZONE", "Europe/Brussels"),
        "PREFERRED_URL_SCHEME": "https" if issuer.startswith("https://") else "http",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "PROXY_FIX_HOPS": proxy_hops(),
    }
    config.update(mail_settings())
    if mode == "testing":
        config["MAIL_SUPPRESS_SEND"] = False
    require_secrets(config, {"SECRET_KEY": "PANDA_SECRET_KEY", "DATABASE_URL": "PANDA_DATABASE_URL",
                             "MAIL_SERVER": "MAIL_SERVER"})
    if production and not issuer.startswith("https://"):
        from shared.config import ConfigurationError
        raise ConfigurationError("PANDA_ISSUER must be an https:// URL in production.")
    return config
