"""Passwords: how they are stored (argon2id) and which ones may be chosen (NIST SP 800-63B-4).

A password is normalised to NFKC before it is measured, compared or hashed, so the
same password typed on two keyboards (composed or decomposed accents, full-width
digits) is the same password.
"""

from __future__ import annotations

import functools
import secrets
import unicodedata
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"

# OWASP Password Storage Cheat Sheet, argon2id: 19 MiB of memory, 2 iterations, 1 lane.
# Raising any of these makes every stored hash "need a rehash": it is upgraded at the
# owner's next successful sign-in.
ARGON2_MEMORY_COST_KIB = 19456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1

hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_COST_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


def normalize_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return hasher.hash(normalize_password(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; takes as long when there is no hash to check against."""
    if not stored_hash:
        burn_verification_time(password)
        return False
    try:
        return hasher.verify(stored_hash, normalize_password(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash() -> str:
    return hasher.hash(secrets.token_urlsafe(24))


def burn_verification_time(password: str) -> None:
    """Spend the time a real verification takes, so timing does not tell whether an account exists."""
    try:
        hasher.verify(_dummy_hash(), normalize_password(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def password_length(password: str) -> int:
    """Length in Unicode code points after NFKC normalisation (NIST SP 800-63B-4)."""
    return len(normalize_password(password))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` may not be chosen, as a sentence for its owner; ``None`` when it may.

    No composition rules (digits, symbols, mixed case): length and a blocklist only.
    """
    minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
    maximum = int(current_app.config["PASSWORD_MAX_LENGTH"])
    normalized = normalize_password(password)
    length = len(normalized)
    if length < minimum:
        return _("Use at least %(minimum)d characters (you used %(length)d).", minimum=minimum, length=length)
    if length > maximum:
        return _("Use at most %(maximum)d characters.", maximum=maximum)
    folded = normalized.casefold()
    if folded.strip() in common_passwords():
        return _("This password is one of the most commonly used passwords. Please choose another one.")
    personal = {value.strip().casefold() for value in (email, name) if value and value.strip()}
    if folded.strip() in personal:
        return _("Your password cannot be your e-mail address or your name.")
    return None
