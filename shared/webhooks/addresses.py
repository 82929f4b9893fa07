"""Where a delivery may go, and sending it there without being redirected elsewhere (no SSRF).

A subscription's URL is checked when it is saved and again before every attempt: the
scheme must be ``http`` or ``https``, and every address the host name resolves to must
be a public one (not private, loopback, link-local, multicast, reserved, shared or
unspecified). The connection is then made to the address that was checked, with the
host name kept for the ``Host`` header and for TLS (SNI and certificate check), so a
name that resolves differently a moment later (DNS rebinding) cannot move it. Redirects
are not followed. ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`` lifts the address rule for
development and tests (a receiver on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from flask_babel import lazy_gettext as _l

from shared.errors import DomainError

EXCERPT_BYTES = 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeDestinationError(DomainError):
    """The URL may not receive deliveries; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


@dataclass(frozen=True)
class Destination:
    url: str
    scheme: str
    host: str
    port: int
    target: str  # path and query
    address: str  # the checked IP address the connection goes to


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def check_destination(url: str, *, allow_private: bool = False) -> Destination:
    """The destination of ``url`` with the address to connect to, or ``UnsafeDestinationError``."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise UnsafeDestinationError(str(_l("Enter a valid URL."))) from None
    if parts.scheme not in DEFAULT_PORTS:
        raise UnsafeDestinationError(str(_l("The URL must start with https:// or http://.")))
    host = parts.hostname
    if not host:
        raise UnsafeDestinationError(str(_l("Enter a valid URL.")))
    if parts.username or parts.password:
        raise UnsafeDestinationError(str(_l("The URL may not contain a user name or password.")))
    port = port or DEFAULT_PORTS[parts.scheme]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeDestinationError(str(_l("The host name of this URL cannot be found."))) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeDestinationError(str(_l("The host name of this URL cannot be found.")))
    if not allow_private and not all(_public(address) for address in addresses):
        raise UnsafeDestinationError(
            str(_l("This URL leads to a private, local or reserved address: deliveries only go to public addresses."))
        )
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Destination(url=url, scheme=parts.scheme, host=host, port=port, target=target, address=str(addresses[0]))


def post(destination: Destination, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST ``body`` to the checked address of ``destination``; never raises, never follows a redirect."""
    default_port = DEFAULT_PORTS[destination.scheme]
    host_header = destination.host if ":" not in destination.host else f"[{destination.host}]"
    if destination.port != default_port:
        host_header += f":{destination.port}"
    pool_timeout = urllib3.Timeout(connect=timeout, read=timeout)
    pool: urllib3.HTTPConnectionPool
    if destination.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            destination.address,
            destination.port,
            timeout=pool_timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=destination.host,
            assert_hostname=destination.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            destination.address, destination.port, timeout=pool_timeout, retries=False, maxsize=1
        )
    started = time.monotonic()
    all_headers = {
        **headers,
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": "webhooks (Standard Webhooks)",
    }
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                destination.target,
                body=body,
                headers=all_headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                retries=False,
            )
            try:
                raw = response.read(EXCERPT_BYTES, decode_content=True) or b""
            finally:
                response.release_conn()
                response.close()
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as failure:
        duration = int((time.monotonic() - started) * 1000)
        return Outcome(None, duration, "", f"{type(failure).__name__}: {failure}"[:500])
    duration = int((time.monotonic() - started) * 1000)
    excerpt = raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    refused = None if 200 <= response.status < 300 else f"HTTP {response.status}"
    return Outcome(response.status, duration, excerpt, refused)
