"""Reading environment variables, shared by both services (the settings themselves: ``shared.settings``).

``APP_ENV`` is ``development`` (the default, used by ``make run``), ``testing`` or
``production``. Outside development and testing a missing secret stops start-up.
In development, secrets that are not set are generated once and kept under
``instance/`` so that the servers, the workers and the CLI agree on them.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


class ConfigurationError(RuntimeError):
    """Start-up refused because the configuration is incomplete or wrong."""


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = env(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {value!r}") from None


def instance_path() -> Path:
    return Path(env("INSTANCE_PATH", str(DEFAULT_INSTANCE)) or DEFAULT_INSTANCE)


def sqlite_url(filename: str) -> str:
    return f"sqlite:///{instance_path() / filename}"


def development_secret(name: str) -> str:
    """A secret generated on first use and kept in instance/ (development only)."""
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.lower()}.secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
