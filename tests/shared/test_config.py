"""Configuration: production refuses to start without its secrets; development makes and keeps its own."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import PROJECT_ROOT, ConfigurationError

SECRET_SETTINGS = ["SECRET_KEY", "PANDA_SECRET_KEY", "COMMUNITY_SECRET_KEY", "COMMUNITY_CLIENT_SECRET",
                   "COMMUNITY_CLIENT_ID", "PANDA_DATABASE_URL", "COMMUNITY_DATABASE_URL"]
READS_SETTING = re.compile(r'\benv(?:_bool|_int)?\(\s*"([A-Z][A-Z0-9_]*)"')


@pytest.fixture()
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PANDA_ISSUER", "https://panda.example.com")
    monkeypatch.setenv("COMMUNITY_URL", "https://community.example.com")
    for name in SECRET_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture()
def development(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name in SECRET_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


# -- production --------------------------------------------------------------------------
def test_panda_refuses_to_start_in_production_without_a_secret_key(production):
    from panda_portal import create_app

    with pytest.raises(ConfigurationError, match="SECRET_KEY") as refused:
        create_app()
    assert "production" in str(refused.value)
    assert not list(production.iterdir()), "no secret may be generated in production"


def test_the_community_names_every_missing_secret_in_production(production):
    from support_community import create_app

    with pytest.raises(ConfigurationError) as refused:
        create_app()
    assert "SECRET_KEY" in str(refused.value)
    assert "COMMUNITY_CLIENT_SECRET" in str(refused.value)


def test_the_command_line_refuses_to_start_in_production_without_secrets(production):
    env = {key: value for key, value in os.environ.items() if key not in SECRET_SETTINGS}
    result = subprocess.run([sys.executable, "-c", "from panda_portal.cli import main; main()", "db", "upgrade"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "SECRET_KEY" in last_line and "production" in last_line


def test_production_requires_an_https_issuer(production, monkeypatch):
    from panda_portal.config import load_config

    monkeypatch.setenv("PANDA_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("PANDA_ISSUER", "http://panda.example.com")
    with pytest.raises(ConfigurationError, match="PANDA_ISSUER must be an https:// URL"):
        load_config()


def test_production_starts_with_its_secrets_and_secure_cookies(production, monkeypatch):
    from panda_portal.config import load_config as panda_config
    from support_community.config import load_config as community_config

    monkeypatch.setenv("PANDA_SECRET_KEY", "p" * 40)
    monkeypatch.setenv("COMMUNITY_SECRET_KEY", "c" * 40)
    monkeypatch.setenv("COMMUNITY_CLIENT_SECRET", "client-secret")
    panda, community = panda_config(), community_config()
    assert panda["SECRET_KEY"] == "p" * 40 and community["SECRET_KEY"] == "c" * 40
    assert panda["SESSION_COOKIE_SECURE"] and community["SESSION_COOKIE_SECURE"]
    assert not list(production.iterdir())


def test_production_ignores_the_development_client_file(production, monkeypatch):
    from support_community.config import DEV_CLIENT_FILE, load_config

    (production / DEV_CLIENT_FILE).write_text('{"client_id": "dev", "client_secret": "dev-secret"}')
    monkeypatch.setenv("COMMUNITY_SECRET_KEY", "c" * 40)
    with pytest.raises(ConfigurationError, match="COMMUNITY_CLIENT_SECRET"):
        load_config()


# -- development -------------------------------------------------------------------------
def test_development_generates_secrets_once_and_keeps_them_in_the_instance_folder(development):
    from panda_portal.config import load_config as panda_config
    from support_community.config import load_config as community_config

    first_panda, first_community = panda_config()["SECRET_KEY"], community_config()["SECRET_KEY"]
    assert len(first_panda) >= 40 and first_panda != first_community
    assert panda_config()["SECRET_KEY"] == first_panda
    assert community_config()["SECRET_KEY"] == first_community
    kept = {path.name: path for path in development.iterdir()}
    assert set(kept) == {"panda_secret_key.secret", "community_secret_key.secret"}
    for path in kept.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_development_keeps_its_databases_in_the_instance_folder(development):
    from panda_portal.config import load_config as panda_config
    from support_community.config import load_config as community_config

    assert panda_config()["DATABASE_URL"] == f"sqlite:///{development / 'panda.db'}"
    assert community_config()["DATABASE_URL"] == f"sqlite:///{development / 'community.db'}"


def test_development_uses_the_client_that_panda_demo_registered(development):
    from support_community.config import DEV_CLIENT_FILE, load_config

    (development / DEV_CLIENT_FILE).write_text('{"client_id": "community-dev", "client_secret": "s3cret"}')
    config = load_config()
    assert (config["COMMUNITY_CLIENT_ID"], config["COMMUNITY_CLIENT_SECRET"]) == ("community-dev", "s3cret")


def test_a_setting_from_the_environment_wins_over_a_generated_one(development, monkeypatch):
    from panda_portal.config import load_config

    monkeypatch.setenv("PANDA_SECRET_KEY", "from-the-environment")
    assert load_config()["SECRET_KEY"] == "from-the-environment"
    assert not (development / "panda_secret_key.secret").exists()


# -- wrong values ------------------------------------------------------------------------
@pytest.mark.parametrize("name, value, message", [
    ("APP_ENV", "staging", "APP_ENV must be development, testing or production"),
    ("MAIL_USE_TLS", "maybe", "MAIL_USE_TLS must be true or false"),
    ("MAIL_PORT", "twenty-five", "MAIL_PORT must be a whole number"),
])
def test_a_malformed_setting_is_refused_by_name(development, monkeypatch, name, value, message):
    from panda_portal.config import load_config

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        load_config()


# -- documentation -----------------------------------------------------------------------
def settings_read_by(*relative_paths: str) -> set[str]:
    names: set[str] = set()
    for relative in relative_paths:
        names |= set(READS_SETTING.findall((PROJECT_ROOT / relative).read_text()))
    return names


def documented_in(path: Path) -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", path.read_text(), flags=re.MULTILINE))


def readme_table() -> set[str]:
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)`", (PROJECT_ROOT / "README.md").read_text(), flags=re.MULTILINE))


@pytest.mark.parametrize("example, sources", [
    ("deploy/panda.env.example", ["shared/config.py", "panda_portal/config.py"]),
    ("deploy/community.env.example", ["shared/config.py", "support_community/config.py"]),
])
def test_every_setting_a_service_reads_is_in_its_env_example(example, sources):
    missing = settings_read_by(*sources) - documented_in(PROJECT_ROOT / example)
    assert not missing, f"document {sorted(missing)} in {example}"


def test_every_setting_in_the_env_examples_is_in_the_readme_table():
    examples = documented_in(PROJECT_ROOT / "deploy/panda.env.example") | documented_in(
        PROJECT_ROOT / "deploy/community.env.example")
    missing = examples - readme_table()
    assert not missing, f"add {sorted(missing)} to the README's configuration table"
