"""Recovery codes: ten single-use codes for when the authenticator app is not at hand.

A code is 16 characters of Crockford's base32 (80 random bits), shown as
``xxxx-xxxx-xxxx-xxxx``. Only its SHA-256 is stored. A slow, salted hash (argon2) is
for secrets people choose, which can be guessed from a list; 80 random bits cannot be
found by trying, however fast each try, and a plain hash lets a code be found by an
index instead of checking ten argon2 hashes at every attempt. ``tests`` and the docs
say the same (``docs/two-step-verification.md``).
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select, update

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.mfa.models import RecoveryCode
from shared.database import rowcount, utcnow

COUNT = 10
LENGTH = 16
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
# Letters people type for the digits they look like.
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def _formatted(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def normalize(code: str | None) -> str | None:
    """The code as stored (before hashing), or ``None`` when ``code`` cannot be one."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    raw = "".join(code.split()).replace("-", "").lower().translate(_LOOKALIKES)
    if len(raw) != LENGTH or any(character not in ALPHABET for character in raw):
        return None
    return raw


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def replace_codes(account: Account) -> list[str]:
    """Ten new codes for ``account`` (the earlier ones stop working); returned once, to be shown once."""
    delete_codes(account)
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    db.session.add_all(RecoveryCode(account_id=account.id, code_hash=_hash(code)) for code in codes)
    db.session.flush()
    return [_formatted(code) for code in codes]


def delete_codes(account: Account) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))


def use_code(account: Account, code: str | None) -> bool:
    """Whether ``code`` is one of the account's unused codes; when it is, it is used up (once, even in a race)."""
    raw = normalize(code)
    if raw is None:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == _hash(raw),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return rowcount(used) == 1


def unused_count(account: Account) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()
