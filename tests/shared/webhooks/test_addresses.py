"""Deliveries never reach private networks, and go to the address that was checked (no DNS rebinding)."""

from __future__ import annotations

import pytest

from shared.webhooks.addresses import Destination, UnsafeDestinationError, check_destination, post
from tests.shared.webhooks.receiver import Receiver


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hook",
        "http://127.0.0.1:8080/hook",
        "http://127.8.9.10/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.10/hook",
        "http://172.16.0.1/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://localhost/hook",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(url):
    with pytest.raises(UnsafeDestinationError) as refused:
        check_destination(url)
    assert refused.value.field == "url"


def test_a_host_name_resolving_to_loopback_is_refused(monkeypatch):
    import socket

    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "innocent.example":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(UnsafeDestinationError):
        check_destination("https://innocent.example/hook")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "file:///etc/passwd", "gopher://example.com/", "https://user:pw@example.com/"]
)
def test_only_http_and_https_without_credentials_are_accepted(url):
    with pytest.raises(UnsafeDestinationError):
        check_destination(url, allow_private=True)


def test_the_development_setting_allows_a_loopback_receiver():
    destination = check_destination("http://127.0.0.1:8123/hooks?x=1", allow_private=True)
    assert (destination.address, destination.port, destination.target) == ("127.0.0.1", 8123, "/hooks?x=1")


def test_the_connection_goes_to_the_checked_address_whatever_the_name_resolves_to_now():
    receiver = Receiver().start()
    try:
        # A name that resolves nowhere (or, after rebinding, somewhere else): never looked up again.
        destination = Destination(
            url="http://rebound.invalid/hooks",
            scheme="http",
            host="rebound.invalid",
            port=receiver.port,
            target="/hooks",
            address="127.0.0.1",
        )
        outcome = post(destination, b"{}", {"webhook-id": "msg_x"}, timeout=5)
        assert outcome.succeeded and outcome.status_code == 200 and outcome.excerpt == "thanks"
        assert receiver.received[0].headers["host"] == f"rebound.invalid:{receiver.port}"
    finally:
        receiver.stop()


def test_a_long_answer_is_kept_to_its_first_kilobyte_and_a_redirect_is_not_followed():
    receiver = Receiver().start()
    try:
        receiver.answer = b"x" * 5000
        destination = check_destination(receiver.url, allow_private=True)
        outcome = post(destination, b"{}", {}, timeout=5)
        assert len(outcome.excerpt) == 1024
        receiver.status = 302
        outcome = post(destination, b"{}", {}, timeout=5)
        assert not outcome.succeeded and outcome.status_code == 302
    finally:
        receiver.stop()


def test_a_receiver_that_is_down_is_an_error_not_an_exception():
    receiver = Receiver()  # never started: the port refuses
    outcome = post(check_destination(receiver.url, allow_private=True), b"{}", {}, timeout=2)
    assert not outcome.succeeded and outcome.status_code is None and "Error" in (outcome.error or "")


def test_production_refuses_to_start_when_private_addresses_are_allowed():
    from flask import Flask

    from shared.config import ConfigurationError
    from support_community.webhooks.services import webhooks

    app = Flask(__name__)
    app.config.update(APP_ENV="production", WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True)
    with pytest.raises(ConfigurationError, match="WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"):
        webhooks.install(app)
