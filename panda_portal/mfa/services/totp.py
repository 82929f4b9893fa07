"""Codes from an authenticator app (TOTP, RFC 6238: six digits, a new one every 30 seconds).

A code is accepted for its own 30-second step and the one before and after it (a
phone's clock a little off, a code typed as it changed), and only once: the step of
the last accepted code is stored, and a code of that step or an earlier one is
refused. The stored step moves forward in one conditional ``UPDATE``, so two requests
racing with the same code cannot both succeed.
"""

from __future__ import annotations

import hmac
import re
import time

import pyotp
import segno
from sqlalchemy import or_, update

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.mfa.models import TotpAuthenticator
from shared.database import rowcount, utcnow

STEP_SECONDS = 30
# Steps accepted on either side of the current one.
WINDOW = 1
_CODE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """A new shared secret: 32 base32 characters (160 bits, the size RFC 4226 recommends)."""
    return pyotp.random_base32()


def is_secret(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[A-Z2-7]{32}", value) is not None


def provisioning_uri(secret: str, account: Account, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI (the Content-Security-Policy allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def secret_for_reading(secret: str) -> str:
    """The secret in groups of four, as a person types it into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalize_code(code: str | None) -> str | None:
    """Six digits, or ``None`` when ``code`` cannot be a code (spaces are allowed: apps show "123 456")."""
    if not isinstance(code, str):
        return None
    digits = re.sub(r"[\s-]", "", code)
    return digits if _CODE.fullmatch(digits) else None


def matching_step(secret: str, code: str | None, *, at: float | None = None) -> int | None:
    """The time step ``code`` belongs to, within the window around ``at`` (now), or ``None``."""
    digits = normalize_code(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if at is None else at) // STEP_SECONDS)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Every step is compared (no early exit), in constant time.
        if hmac.compare_digest(totp.generate_otp(step), digits):
            found = step
    return found


def use_code(authenticator: TotpAuthenticator, code: str | None) -> bool:
    """Whether ``code`` is right and unused; when it is, it is used up (with every earlier one)."""
    step = matching_step(authenticator.secret, code)
    if step is None:
        return False
    moved = db.session.execute(
        update(TotpAuthenticator)
        .where(
            TotpAuthenticator.id == authenticator.id,
            or_(TotpAuthenticator.last_used_step.is_(None), TotpAuthenticator.last_used_step < step),
        )
        .values(last_used_step=step, last_used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(authenticator, ["last_used_step", "last_used_at"])
    return rowcount(moved) == 1
