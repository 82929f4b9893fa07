"""Replies by e-mail are switched on by a reply address; production then refuses a mailbox it cannot use safely."""

from __future__ import annotations

import pytest

from shared.config import ConfigurationError

PRODUCTION = {
    "APP_ENV": "production",
    "PANDA_ISSUER": "https://panda.example.com",
    "COMMUNITY_URL": "https://community.example.com",
    "COMMUNITY_SECRET_KEY": "c" * 48,
    "COMMUNITY_CLIENT_SECRET": "client-secret",
    "COMMUNITY_DATABASE_URL": "postgresql://community@db/community",
    "REDIS_URL": "redis://redis:6379/0",
    "MAIL_SERVER": "smtp.example.com",
}
MAILBOX = {
    "COMMUNITY_REPLY_ADDRESS": "support@community.example.com",
    "COMMUNITY_IMAP_HOST": "imap.example.com",
    "COMMUNITY_IMAP_USERNAME": "support@community.example.com",
    "COMMUNITY_IMAP_PASSWORD": "a-mailbox-password",
}


@pytest.fixture()
def environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name in (
        "SECRET_KEY",
        "COMMUNITY_REPLY_ADDRESS",
        "COMMUNITY_IMAP_SECURITY",
        "COMMUNITY_IMAP_PORT",
        "COMMUNITY_IMAP_IDLE_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)

    def load(**values: str) -> dict:
        from support_community.config import load_config

        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return load_config()

    return load


def test_production_without_a_reply_address_has_replies_by_mail_off_and_needs_no_mailbox(environment):
    config = environment(**PRODUCTION)
    assert config["COMMUNITY_REPLY_ADDRESS"] is None


def test_production_with_a_reply_address_reads_its_mailbox_over_tls_by_default(environment):
    config = environment(**PRODUCTION, **MAILBOX)
    assert (config["COMMUNITY_IMAP_SECURITY"], config["COMMUNITY_IMAP_PORT"]) == ("tls", 993)


@pytest.mark.parametrize("missing", ["COMMUNITY_IMAP_HOST", "COMMUNITY_IMAP_USERNAME", "COMMUNITY_IMAP_PASSWORD"])
def test_production_with_a_reply_address_names_a_missing_mailbox_setting(environment, missing):
    with pytest.raises(ConfigurationError, match=missing):
        environment(**PRODUCTION, **{name: value for name, value in MAILBOX.items() if name != missing})


def test_production_refuses_a_mailbox_read_in_clear(environment):
    with pytest.raises(ConfigurationError, match="COMMUNITY_IMAP_SECURITY must be tls or starttls"):
        environment(**PRODUCTION, **MAILBOX, COMMUNITY_IMAP_SECURITY="none")


@pytest.mark.parametrize(
    "address", ["support", "support+x@community.example.com", "a-very-long-local-part@community.example.com"]
)
def test_a_reply_address_that_cannot_carry_a_token_is_refused(environment, address):
    with pytest.raises(ConfigurationError, match="COMMUNITY_REPLY_ADDRESS"):
        environment(APP_ENV="development", COMMUNITY_REPLY_ADDRESS=address)


def test_development_replies_to_the_local_address(environment):
    config = environment(APP_ENV="development")
    assert config["COMMUNITY_REPLY_ADDRESS"] == "support@community.localhost"
    assert config["COMMUNITY_IMAP_PORT"] == 993


def test_the_mailbox_is_watched_with_idle_renewed_within_the_rfcs_29_minutes_by_default(environment):
    config = environment(APP_ENV="development")
    assert 0 < config["COMMUNITY_IMAP_IDLE_SECONDS"] <= 29 * 60


@pytest.mark.parametrize("seconds", ["1800", "-1", "nan"])
def test_an_idle_longer_than_29_minutes_is_refused(environment, seconds):
    with pytest.raises(ConfigurationError, match="COMMUNITY_IMAP_IDLE_SECONDS must be between 0"):
        environment(APP_ENV="development", COMMUNITY_IMAP_IDLE_SECONDS=seconds)


def test_idle_can_be_switched_off(environment):
    assert environment(APP_ENV="development", COMMUNITY_IMAP_IDLE_SECONDS="0")["COMMUNITY_IMAP_IDLE_SECONDS"] == 0
