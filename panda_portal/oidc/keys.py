"""RS256 signing keys kept in the database, so every Panda process signs alike.

The key with the highest ``generation`` signs. ``panda keys rotate`` adds a new
generation; the previous keys are marked retired and stay in the JWKS until every
token they signed has expired (the longest JWT lifetime plus a minute of clock
leeway), so relying parties that cached the JWKS keep verifying. The first key is
created on first use; the unique ``generation`` makes concurrent creators agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import JWSRegistry
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from panda_portal.extensions import db
from panda_portal.oidc.models import SigningKey
from shared.database import utcnow

ALGORITHM = "RS256"
KEY_SIZE = 2048
LOGOUT_TOKEN_SECONDS = 120
CLOCK_LEEWAY_SECONDS = 60

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
    """How long a retired key stays published: until what it signed has expired."""
    config = current_app.config
    longest = max(int(config["ACCESS_TOKEN_SECONDS"]), int(config["ID_TOKEN_SECONDS"]), LOGOUT_TOKEN_SECONDS)
    return dt.timedelta(seconds=longest + CLOCK_LEEWAY_SECONDS)


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
    row = active_key()
    header = {"alg": row.alg, "kid": row.kid, "typ": typ}
    return jwt.encode(header, claims, _key(row), algorithms=[ALGORITHM])


# Tokens carry ``orgs_version``, not the list, and stay about 1 KB. Tokens signed before
# that (an ID token given back as a logout hint) listed every organization of the person,
# far beyond joserfc's default payload limit of 128 kB.
MAX_TOKEN_BYTES = 8 * 1024 * 1024


def _registry() -> JWSRegistry:
    registry = JWSRegistry(algorithms=[ALGORITHM])
    registry.max_payload_length = MAX_TOKEN_BYTES
    return registry


def decode(token: str, *, typ: str | None, include_retired: bool = False) -> jwt.Token:
    """Verify a JWT Panda signed (signature, algorithm and ``typ`` only; claims are the caller's)."""
    rows = all_keys() if include_retired else published_keys()
    keys = KeySet([public_key(row) for row in rows])
    try:
        decoded = jwt.decode(token, keys, registry=_registry())
    except (JoseError, ValueError, TypeError, KeyError, UnicodeError) as exc:
        raise InvalidToken(str(exc) or type(exc).__name__) from None
    if typ is not None:
        found = str(decoded.header.get("typ", "")).lower()
        if found.removeprefix("application/") != typ.lower():
            raise InvalidToken(f"not a {typ} token")
    return decoded
