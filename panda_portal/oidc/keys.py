"""RS256 signing keys kept in the database, so every Panda process signs alike.

The key with the highest ``generation`` signs. ``panda keys rotate`` adds a new
generation; the previous keys are marked retired and stay in the JWKS until every
token they signed has expired (the longest JWT lifetime plus a minute of clock
leeway, plus ``KEY_CHECK_SECONDS``), so relying parties that cached the JWKS keep
verifying. The first key is created on first use; the unique ``generation`` makes
concurrent creators agree.

Signing and verifying do not read the table each time: a process keeps the keys it
read, parsed, for ``KEY_CHECK_SECONDS`` (``_KeyCache``), then reads them again. A key
rotated by another process therefore starts signing here within that time (and the
retired key stays published that much longer, so what it signed meanwhile verifies);
a token naming a ``kid`` this process does not know makes it read the table at once.
A rotation or a first key made by this process replaces what it keeps immediately, and
keys read in a transaction that wrote keys are forgotten if that transaction is rolled
back, so a key that never was committed is never used.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import JWSRegistry
from sqlalchemy import Connection, Engine, event, or_, select, update
from sqlalchemy.exc import IntegrityError

from panda_portal.extensions import db
from panda_portal.oidc.models import SigningKey
from shared.database import utcnow

ALGORITHM = "RS256"
KEY_SIZE = 2048
LOGOUT_TOKEN_SECONDS = 120
CLOCK_LEEWAY_SECONDS = 60
# How long a process signs and verifies with the keys it read before reading them again.
KEY_CHECK_SECONDS = 10

# A kid's key material never changes, so parsed keys may be kept per process.
_parsed: dict[str, RSAKey] = {}
_public: dict[str, RSAKey] = {}


class InvalidToken(Exception):
    """A JWT that Panda did not sign, was altered, or is not of the expected kind."""


def _key(row: SigningKey) -> RSAKey:
    key = _parsed.get(row.kid)
    if key is None:
        key = RSAKey.import_key(row.private_jwk, parameters={"kid": row.kid, "use": "sig", "alg": row.alg})
        _parsed[row.kid] = key
    return key


def public_key(row: SigningKey) -> RSAKey:
    key = _public.get(row.kid)
    if key is None:
        key = RSAKey.import_key(_key(row).as_dict(private=False))
        _public[row.kid] = key
    return key


def retirement_grace() -> dt.timedelta:
    """How long a retired key stays published: until what it signed has expired.

    A process may sign with a key up to ``KEY_CHECK_SECONDS`` after another one retired it.
    """
    config = current_app.config
    longest = max(int(config["ACCESS_TOKEN_SECONDS"]), int(config["ID_TOKEN_SECONDS"]), LOGOUT_TOKEN_SECONDS)
    return dt.timedelta(seconds=longest + CLOCK_LEEWAY_SECONDS + KEY_CHECK_SECONDS)


# -- the keys a process keeps ----------------------------------------------------------------
@dataclass(frozen=True)
class KnownKey:
    """A signing key as read from the table, parsed once."""

    kid: str
    generation: int
    alg: str
    retired_at: dt.datetime | None
    private: RSAKey
    public: RSAKey


class _KeyCache:
    """The process's copy of the signing keys, read again after ``KEY_CHECK_SECONDS`` (see the module's doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: tuple[KnownKey, ...] = ()
        self._read_at: float | None = None
        # Connections whose open transaction wrote keys: what was read there is not committed yet.
        self._unconfirmed: weakref.WeakSet[Connection] = weakref.WeakSet()

    def keys(self) -> tuple[KnownKey, ...]:
        with self._lock:
            if self._read_at is not None and time.monotonic() - self._read_at < KEY_CHECK_SECONDS:
                return self._keys
        return self.read()

    def read(self) -> tuple[KnownKey, ...]:
        rows = all_keys()
        known = tuple(
            KnownKey(
                kid=row.kid,
                generation=row.generation,
                alg=row.alg,
                retired_at=row.retired_at,
                private=_key(row),
                public=public_key(row),
            )
            for row in rows
        )
        with self._lock:
            self._keys, self._read_at = known, time.monotonic()
        return known

    def forget(self) -> None:
        with self._lock:
            self._keys, self._read_at = (), None

    def wrote_keys(self) -> None:
        """The current transaction changed the keys: forget them now, and again if it is rolled back."""
        self.forget()
        self._unconfirmed.add(db.session.connection())

    def transaction_ended(self, connection: Connection, *, committed: bool) -> None:
        if connection in self._unconfirmed:
            self._unconfirmed.discard(connection)
            if not committed:
                self.forget()


_CACHE = "panda_oidc_keys"  # ``app.extensions``: one copy per app, as each app has its own database
_caches: weakref.WeakSet[_KeyCache] = weakref.WeakSet()


def _cache() -> _KeyCache:
    cache = current_app.extensions.get(_CACHE)
    if cache is None:
        cache = current_app.extensions.setdefault(_CACHE, _KeyCache())
        _caches.add(cache)
    return cache


@event.listens_for(Engine, "commit")
def _committed(connection: Connection) -> None:
    for cache in list(_caches):
        cache.transaction_ended(connection, committed=True)


@event.listens_for(Engine, "rollback")
def _rolled_back(connection: Connection) -> None:
    for cache in list(_caches):
        cache.transaction_ended(connection, committed=False)


def _signing_key() -> KnownKey:
    cache = _cache()
    known = cache.keys()
    if not known:
        active_key()
        known = cache.read()
    return known[0]


def _verifying_keys(token: str, *, include_retired: bool) -> KeySet:
    cache = _cache()
    known = cache.keys()
    if _kid_of(token) not in {key.kid for key in known}:
        known = cache.read()  # a key made by another process since this one read them
    if not include_retired:
        cutoff = utcnow() - retirement_grace()
        known = tuple(key for key in known if key.retired_at is None or key.retired_at > cutoff)
    return KeySet([key.public for key in known])


def _kid_of(token: str) -> str | None:
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _newest() -> SigningKey | None:
    return db.session.execute(select(SigningKey).order_by(SigningKey.generation.desc()).limit(1)).scalar_one_or_none()


def _generate_private_key() -> RSAKey:
    return RSAKey.generate_key(KEY_SIZE, private=True)


def _insert_generation(generation: int) -> SigningKey | None:
    """Insert a new key of ``generation``; None when another process took that generation."""
    private = _generate_private_key()
    kid = private.thumbprint()
    jwk = private.as_dict(private=True) | {"kid": kid, "use": "sig", "alg": ALGORITHM}
    row = SigningKey(generation=generation, kid=kid, alg=ALGORITHM, private_jwk=jwk, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    _cache().wrote_keys()
    return row


def active_key() -> SigningKey:
    """The key that signs now; created on first use."""
    for _ in range(5):
        row = _newest()
        if row is not None:
            return row
        row = _insert_generation(1)
        if row is not None:
            return row
    raise RuntimeError("could not create or find a signing key")


def rotate() -> SigningKey:
    """Make a new key the signing key; the previous ones retire (and stay published a while)."""
    if _newest() is None:
        return active_key()
    for _ in range(5):
        current = active_key()
        row = _insert_generation(current.generation + 1)
        if row is None:
            continue
        db.session.execute(
            update(SigningKey)
            .where(SigningKey.generation < row.generation, SigningKey.retired_at.is_(None))
            .values(retired_at=row.created_at)
        )
        db.session.flush()
        db.session.expire_all()
        _cache().wrote_keys()
        return row
    raise RuntimeError("could not rotate the signing key")


def all_keys() -> list[SigningKey]:
    return list(db.session.execute(select(SigningKey).order_by(SigningKey.generation.desc())).scalars())


def published_keys() -> list[SigningKey]:
    """The active key and the retired keys whose tokens may still be valid."""
    active_key()
    cutoff = utcnow() - retirement_grace()
    return list(
        db.session.execute(
            select(SigningKey)
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > cutoff))
            .order_by(SigningKey.generation.desc())
        ).scalars()
    )


def key_status(row: SigningKey) -> str:
    if row.retired_at is None:
        return "active"
    if row.retired_at > utcnow() - retirement_grace():
        return "retiring"
    return "retired"


def jwks() -> dict[str, Any]:
    return {"keys": [public_key(row).as_dict(private=False) for row in published_keys()]}


def sign(claims: dict[str, Any], *, typ: str) -> str:
    """A compact JWS of ``claims`` (RS256), as ``joserfc.jwt.encode`` makes it, byte for byte.

    Made here rather than by joserfc: the header of each key and ``typ`` is encoded once,
    the claims with an encoder made once, and the signature asked of the key directly
    (joserfc checks the header, looks the algorithm and the key up, per token).
    """
    key = _signing_key()
    if key.alg != ALGORITHM:
        header = {"alg": key.alg, "kid": key.kid, "typ": typ}
        return jwt.encode(header, claims, key.private, algorithms=[key.alg], registry=_REGISTRY)
    signing_input = _header_segment(key.kid, typ) + b"." + _b64(_CLAIMS_ENCODER.encode(claims).encode())
    signature = key.private.get_op_key("sign").sign(signing_input, _PKCS1v15, _SHA256)
    return (signing_input + b"." + _b64(signature)).decode("ascii")


_CLAIMS_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # joserfc's encoding of claims
_PKCS1v15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_headers: dict[tuple[str, str], bytes] = {}


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _header_segment(kid: str, typ: str) -> bytes:
    segment = _headers.get((kid, typ))
    if segment is None:
        # The order joserfc gives the header: its ``typ`` default first, then the given fields.
        header = {"typ": typ, "alg": ALGORITHM, "kid": kid}
        segment = _headers[(kid, typ)] = _b64(json.dumps(header, separators=(",", ":")).encode())
    return segment


# Tokens carry ``orgs_version``, not the list, and stay about 1 KB. Tokens signed before
# that (an ID token given back as a logout hint) listed every organization of the person,
# far beyond joserfc's default payload limit of 128 kB.
MAX_TOKEN_BYTES = 8 * 1024 * 1024


def _registry() -> JWSRegistry:
    registry = JWSRegistry(algorithms=[ALGORITHM])
    registry.max_payload_length = MAX_TOKEN_BYTES
    return registry


_REGISTRY = _registry()  # prepared once: it holds no per-token state


def decode(token: str, *, typ: str | None, include_retired: bool = False) -> jwt.Token:
    """Verify a JWT Panda signed (signature, algorithm and ``typ`` only; claims are the caller's)."""
    keys = _verifying_keys(token, include_retired=include_retired)
    try:
        decoded = jwt.decode(token, keys, registry=_REGISTRY)
    except (JoseError, ValueError, TypeError, KeyError, UnicodeError) as exc:
        raise InvalidToken(str(exc) or type(exc).__name__) from None
    if typ is not None:
        found = str(decoded.header.get("typ", "")).lower()
        if found.removeprefix("application/") != typ.lower():
            raise InvalidToken(f"not a {typ} token")
    return decoded
