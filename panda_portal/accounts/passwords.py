"""Passwords: how they are stored (argon2id) and which ones may be chosen (NIST SP 800-63B-4).

A password is normalised to NFKC before it is measured, compared or hashed, so the
same password typed on two keyboards (composed or decomposed accents, full-width
digits) is the same password.

Every hash and verification of a process runs on ``HASHING_THREADS`` threads of its own
(``hashing_pool``); the use cases call them with no database transaction open
(``services.hashing``).
"""

from __future__ import annotations

import functools
import os
import secrets
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"

# OWASP Password Storage Cheat Sheet, argon2id: 19 MiB of memory, 2 iterations, 1 lane.
# Raising any of these makes every stored hash "need a rehash": it is upgraded at the
# owner's next successful sign-in. The memory is taken for each hash under way, so it
# counts in a worker's resident memory once per hashing thread (bench/README.md).
ARGON2_MEMORY_COST_KIB = 19456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1

# Hashes under way at once in one worker process. One: a hash keeps a core busy for its
# whole run (about 20 ms on the development machine) and gunicorn runs one worker per CPU,
# so each CPU works on one hash at a time and the other requests (the token endpoint)
# still get through. A second hashing thread brought no more sign-ins per second and kept
# 19 MiB more per worker (bench/README.md, "Sign-in bursts").
HASHING_THREADS = 1

hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_COST_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


_Result = TypeVar("_Result")


class HashingPool:
    """The argon2 computations of this process: at most ``size`` at once, always on the same threads.

    A request thread hands its hash over and waits. Under a burst of sign-ins the cores
    then run one hash per worker at a time, finished one after the other, instead of
    every request thread's hash side by side, all slower, while the token endpoint waits
    for a thread. And argon2's working memory is allocated by the same thread every
    time: the allocator reuses it, where each request thread's arena would keep a copy.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        # Threads do not survive a fork: a forked worker starts its own.
        os.register_at_fork(after_in_child=self._forget)

    def run(self, work: Callable[..., _Result], *args: object) -> _Result:
        return self._threads().submit(work, *args).result()

    def _threads(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="argon2")
            return self._executor

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._executor = None


hashing_pool = HashingPool(HASHING_THREADS)


def normalize_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return hashing_pool.run(hasher.hash, normalize_password(password))


def _matches(stored_hash: str, normalized: str) -> bool:
    try:
        return hasher.verify(stored_hash, normalized)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; takes as long when there is no hash to check against."""
    if not stored_hash:
        burn_verification_time(password)
        return False
    return hashing_pool.run(_matches, stored_hash, normalize_password(password))


def needs_rehash(stored_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def burn_verification_time(password: str) -> None:
    """Spend the time a real verification takes, so timing does not tell whether an account exists."""
    hashing_pool.run(_matches, _dummy_hash(), normalize_password(password))


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
