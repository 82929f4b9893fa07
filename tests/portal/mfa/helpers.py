"""Helpers of the two-step tests: an authenticator app's codes, and turning two-step verification on."""

from __future__ import annotations

import time

import pyotp

from panda_portal.mfa.services import totp


def code(secret: str, *, steps_from_now: int = 0) -> str:
    """What an authenticator app with ``secret`` shows, ``steps_from_now`` 30-second steps from now."""
    return pyotp.TOTP(secret).at(time.time() + steps_from_now * totp.STEP_SECONDS)


def turn_on(account, *, secret: str | None = None) -> tuple[str, list[str]]:
    """Turn two-step verification on for ``account`` (as its set-up page does); the secret and recovery codes.

    The code used to turn it on is the one of the previous step, so the current code is still unused.
    """
    from panda_portal.extensions import db
    from panda_portal.mfa.services import two_step

    secret = secret or totp.new_secret()
    codes = two_step.turn_on(account, secret, code(secret, steps_from_now=-1), actor=account)
    db.session.commit()
    return secret, codes
