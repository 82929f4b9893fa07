"""Configuration: production refuses to start without its secrets; development makes and keeps its own."""

from __future__ import annotations

import importlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import PROJECT_ROOT, ConfigurationError
from shared.settings import DEPLOY, readme_table

SECRET_SETTINGS = [
    "SECRET_KEY",
    "PANDA_SECRET_KEY",
    "COMMUNITY_SECRET_KEY",
    "COMMUNITY_CLIENT_SECRET",
    "COMMUNITY_CLIENT_ID",
    "PANDA_DATABASE_URL",
    "COMMUNITY_DATABASE_URL",
    "REDIS_URL",
]
STRONG = "s" * 48


@pytest.fixture()
def complete_production(production, monkeypatch):
    """Production with every required setting set well; a test then spoils one."""
    for name, value in {
        "PANDA_SECRET_KEY": "p" * 40,
        "COMMUNITY_SECRET_KEY": "c" * 40,
        "COMMUNITY_CLIENT_SECRET": "client-secret",
        "PANDA_DATABASE_URL": "postgresql://panda@db/panda",
        "COMMUNITY_DATABASE_URL": "postgresql://community@db/community",
        "REDIS_URL": "redis://redis:6379/0",
    }.items():
        monkeypatch.setenv(name, value)
    return production


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
    result = subprocess.run(
        [sys.executable, "-c", "from panda_portal.cli import main; main()", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "SECRET_KEY" in last_line and "production" in last_line


def test_production_requires_an_https_issuer(production, monkeypatch):
    from panda_portal.config import load_config

    monkeypatch.setenv("PANDA_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("PANDA_ISSUER", "http://panda.example.com")
    with pytest.raises(ConfigurationError, match="PANDA_ISSUER must be an https:// URL"):
        load_config()


def test_production_starts_with_its_secrets_and_secure_cookies(complete_production):
    from panda_portal.config import load_config as panda_config
    from support_community.config import load_config as community_config

    panda, community = panda_config(), community_config()
    assert panda["SECRET_KEY"] == "p" * 40 and community["SECRET_KEY"] == "c" * 40
    assert panda["SESSION_COOKIE_SECURE"] and community["SESSION_COOKIE_SECURE"]
    assert not list(complete_production.iterdir())


WEAK_SETTINGS = [
    ("PANDA_SECRET_KEY", "short", "PANDA_SECRET_KEY must be at least 32 bytes", ["panda_portal"]),
    ("COMMUNITY_SECRET_KEY", "x" * 31, "COMMUNITY_SECRET_KEY must be at least 32 bytes", ["support_community"]),
    ("PANDA_DATABASE_URL", None, "PANDA_DATABASE_URL", ["panda_portal"]),
    ("COMMUNITY_DATABASE_URL", None, "COMMUNITY_DATABASE_URL", ["support_community"]),
    ("REDIS_URL", None, "REDIS_URL", ["panda_portal", "support_community"]),
    (
        "PANDA_ISSUER",
        "http://panda.example.com",
        "PANDA_ISSUER must be an https:// URL",
        ["panda_portal", "support_community"],
    ),
    (
        "COMMUNITY_URL",
        "http://community.example.com",
        "COMMUNITY_URL must be an https:// URL",
        ["panda_portal", "support_community"],
    ),
]


@pytest.mark.parametrize(
    "service, name, value, complaint",
    [(service, name, value, complaint) for name, value, complaint, services in WEAK_SETTINGS for service in services],
)
def test_production_refuses_a_weak_or_missing_setting_and_names_it(
    complete_production, monkeypatch, service, name, value, complaint
):
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)
    load_config = importlib.import_module(f"{service}.config").load_config
    with pytest.raises(ConfigurationError, match=re.escape(complaint)):
        load_config()


def test_production_never_falls_back_to_sqlite(complete_production, monkeypatch):
    from panda_portal.config import load_config

    monkeypatch.delenv("PANDA_DATABASE_URL")
    with pytest.raises(ConfigurationError, match="PANDA_DATABASE_URL"):
        load_config()
    assert not list(complete_production.iterdir())


@pytest.mark.parametrize("command", [["panda", "db", "upgrade"], ["community", "db", "upgrade"]])
def test_the_migration_commands_exit_non_zero_and_name_the_weak_setting(complete_production, command):
    env = dict(os.environ, PANDA_SECRET_KEY="short", COMMUNITY_SECRET_KEY="short")
    module = {"panda": "panda_portal.cli", "community": "support_community.cli"}[command[0]]
    result = subprocess.run(
        [sys.executable, "-c", f"from {module} import main; main()", *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "_SECRET_KEY must be at least 32 bytes" in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("app", ["panda_portal:create_app()", "support_community:create_app()"])
def test_the_servers_exit_non_zero_and_name_the_missing_setting(complete_production, monkeypatch, app):
    monkeypatch.delenv("REDIS_URL")
    env = dict(os.environ, PORT="0", WEB_CONCURRENCY="1")
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "deploy/gunicorn.conf.py"), app],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


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
@pytest.mark.parametrize(
    "name, value, message",
    [
        ("APP_ENV", "staging", "APP_ENV must be development, testing or production"),
        ("MAIL_USE_TLS", "maybe", "MAIL_USE_TLS must be true or false"),
        ("MAIL_PORT", "twenty-five", "MAIL_PORT must be a whole number"),
    ],
)
def test_a_malformed_setting_is_refused_by_name(development, monkeypatch, name, value, message):
    from panda_portal.config import load_config

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        load_config()


# -- documentation -----------------------------------------------------------------------
SERVICES = {"panda_portal": "deploy/panda.env.example", "support_community": "deploy/community.env.example"}
# Keys a service sets from other settings, or that Flask and its extensions define.
DERIVED_KEYS = {
    "TESTING",
    "RATELIMIT_STORAGE_URI",
    "PERMANENT_SESSION_LIFETIME",
    "PREFERRED_URL_SCHEME",
    "MAX_CONTENT_LENGTH",
    "MAIL_SUPPRESS_SEND",
    "BABEL_DEFAULT_LOCALE",
    "BABEL_TRANSLATION_DIRECTORIES",
    "WTF_CSRF_FIELD_NAME",
}
READS_CONFIG = re.compile(r"""config(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]*)["']""")
READS_WITH_A_DEFAULT = re.compile(r"""config\.get\(\s*["']([A-Z][A-Z0-9_]*)["']\s*,""")


def declarations(service: str):
    module = importlib.import_module(f"{service}.config")
    return module.SETTINGS, module.FIXED


def sources(*packages: str) -> list[Path]:
    return [
        path
        for package in packages
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ]


def documented_in(path: Path) -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", path.read_text(), flags=re.MULTILINE))


def readme_configuration_table() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    start = readme.index("| Variable | Used by | Default | Meaning |")
    return readme[start : readme.index("\n\n", start)]


def test_the_readme_table_is_the_declared_settings():
    from panda_portal.config import SETTINGS as panda
    from support_community.config import SETTINGS as community

    expected = readme_table(panda, community)
    assert readme_configuration_table() == expected, (
        "The README's configuration table and the declarations disagree; the declared table is:\n" + expected
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_declared_setting_is_in_the_services_env_example(service):
    settings, _ = declarations(service)
    missing = {setting.name for setting in (*settings, *DEPLOY)} - documented_in(PROJECT_ROOT / SERVICES[service])
    assert not missing, f"document {sorted(missing)} in {SERVICES[service]}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_in_an_env_example_is_declared(service):
    settings, _ = declarations(service)
    unknown = documented_in(PROJECT_ROOT / SERVICES[service]) - {s.name for s in (*settings, *DEPLOY)}
    assert not unknown, f"{sorted(unknown)} in {SERVICES[service]} are read by nothing"


@pytest.mark.parametrize("service", SERVICES)
def test_every_configuration_key_a_service_reads_is_declared(service):
    settings, fixed = declarations(service)
    known = {s.config_key for s in settings} | set(fixed) | DERIVED_KEYS
    read = {key for path in sources(service, "shared") for key in READS_CONFIG.findall(path.read_text())}
    assert not read - known - {"DATABASE_URL"}, f"declare {sorted(read - known)} in {service}/config.py"


def test_no_setting_is_read_with_a_default_of_its_own():
    """The declaration holds the one default; a second one at the place of use would drift from it."""
    declared = {s.config_key for service in SERVICES for s in declarations(service)[0]}
    declared |= {key for service in SERVICES for key in declarations(service)[1]}
    found = {
        f"{path.relative_to(PROJECT_ROOT)}: {key}"
        for path in sources("panda_portal", "support_community", "shared")
        for key in READS_WITH_A_DEFAULT.findall(path.read_text())
        if key in declared
    }
    assert not found, f"read these with config[KEY]: {sorted(found)}"


def test_a_setting_reads_its_declared_type_and_default(development, monkeypatch):
    from support_community.config import load_config

    assert load_config()["OIDC_JWKS_TTL"] == 3600.0
    monkeypatch.setenv("OIDC_JWKS_TTL", "60")
    assert load_config()["OIDC_JWKS_TTL"] == 60.0
    monkeypatch.setenv("SWITCHER_MENU_LIMIT", "many")
    with pytest.raises(ConfigurationError, match="SWITCHER_MENU_LIMIT must be a whole number"):
        load_config()
