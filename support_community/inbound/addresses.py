"""The reply address of a case mail, and the headers that thread a case's mails together.

A case mail's ``Reply-To`` is ``COMMUNITY_REPLY_ADDRESS`` with a token after a ``+``:
``support+p<case id and signatures>@community.example.com``. The token names the case and
carries two HMACs made with a key derived from the community's secret key: one over the
case (48 bits: an address that was changed or made up is recognised as such), one over the
case and the person the mail was for (64 bits: a reply is only taken from the person the
address was given to, and only for that case). Mail to the agents' team address gets a
team token (``t``), which any agent may use. A token is 49 characters of lower-case
base32 (mail servers may change the case of an address), so with a local part of at most
14 characters the address stays within the 64 characters a local part may have.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app

PERSON = "p"
TEAM = "t"
CASE_MAC_BYTES = 6
PERSON_MAC_BYTES = 8
TOKEN_LENGTH = 1 + 48  # kind + base32 of 16 + 6 + 8 bytes (240 bits: no padding)
_TOKEN = re.compile(r"[pt][a-z2-7]{48}")
_KEY_LABEL = b"support_community.inbound: reply address v1"


@dataclass(frozen=True)
class ReplyToken:
    kind: str
    case_id: uuid.UUID
    case_mac: bytes
    person_mac: bytes

    @property
    def intact(self) -> bool:
        """Whether the community made this token for this case (not changed, not made up)."""
        return hmac.compare_digest(self.case_mac, _mac(b"case", self.kind, self.case_id, None)[:CASE_MAC_BYTES])

    def issued_to(self, sub: str | None) -> bool:
        """Whether this token was made for ``sub`` (a person token) or for the agents' team (``sub`` None)."""
        if (self.kind == TEAM) != (sub is None):
            return False
        expected = _mac(b"person", self.kind, self.case_id, sub)[:PERSON_MAC_BYTES]
        return self.intact and hmac.compare_digest(self.person_mac, expected)


def enabled() -> bool:
    return bool(current_app.config["COMMUNITY_REPLY_ADDRESS"])


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def _mac(purpose: bytes, kind: str, case_id: uuid.UUID, sub: str | None) -> bytes:
    message = b"\0".join([purpose, kind.encode(), case_id.bytes, (sub or "").encode()])
    return hmac.new(_key(), message, hashlib.sha256).digest()


def _parts() -> tuple[str, str]:
    local, _, domain = str(current_app.config["COMMUNITY_REPLY_ADDRESS"]).rpartition("@")
    return local, domain


def make_token(case_id: uuid.UUID, sub: str | None) -> str:
    kind = TEAM if sub is None else PERSON
    case_mac = _mac(b"case", kind, case_id, None)[:CASE_MAC_BYTES]
    person_mac = _mac(b"person", kind, case_id, sub)[:PERSON_MAC_BYTES]
    return kind + base64.b32encode(case_id.bytes + case_mac + person_mac).decode().lower()


def reply_address(case_id: uuid.UUID, sub: str | None) -> str:
    """The address replies to a mail about ``case_id`` for ``sub`` (None: the agents' team) go to."""
    local, domain = _parts()
    return f"{local}+{make_token(case_id, sub)}@{domain}"


def read_token(token: str) -> ReplyToken | None:
    """The token's case and signature, or None when it is not a token at all (the signature is checked later)."""
    token = token.lower()
    if not _TOKEN.fullmatch(token):
        return None
    try:
        data = base64.b32decode(token[1:].upper())
    except (binascii.Error, ValueError):
        return None
    if len(data) != 16 + CASE_MAC_BYTES + PERSON_MAC_BYTES:
        return None
    return ReplyToken(kind=token[0], case_id=uuid.UUID(bytes=data[:16]), case_mac=data[16:22], person_mac=data[22:])


def token_in(addresses: list[str]) -> tuple[str | None, bool]:
    """The token of the first of ``addresses`` that is our reply address with one (``(token, True)``).

    ``(None, True)``: the mail was sent to our reply address without a token (or one
    that is not a token at all); ``(None, False)``: not to our reply address.
    """
    local, domain = _parts()
    ours = False
    for raw in addresses:
        address = parseaddr(raw)[1].strip().lower()
        name, at, host = address.rpartition("@")
        if not at or host != domain.lower():
            continue
        base, plus, token = name.partition("+")
        if base != local.lower():
            continue
        ours = True
        if plus and read_token(token) is not None:
            return token, True
    return None, ours


# -- threading ------------------------------------------------------------------------------------
def our_domains() -> set[str]:
    """The domains of the message ids the community makes (its sender's, its reply address's)."""
    domains = {parseaddr(str(current_app.config["MAIL_DEFAULT_SENDER"] or ""))[1].rpartition("@")[2].lower()}
    if enabled():
        domains.add(_parts()[1].lower())
    return {domain for domain in domains if domain}


def case_thread_id(case_id: uuid.UUID) -> str:
    """A message id no mail has, which every mail about the case refers to: clients show them as one thread."""
    domain = _parts()[1] if enabled() else (sorted(our_domains()) or ["localhost"])[0]
    return f"<case.{case_id}@{domain}>"


def case_mail_headers(case_id: uuid.UUID, sub: str | None) -> dict[str, str]:
    """The headers of a mail about the case: its reply address (when replies by e-mail are on) and its thread."""
    thread = case_thread_id(case_id)
    headers = {"In-Reply-To": thread, "References": thread}
    if enabled():
        headers["Reply-To"] = reply_address(case_id, sub)
    return headers
