"""Step-up: a sensitive change asks for the second factor again when the last one is older than 10 minutes.

Used by the two-step pages (turning it off, new recovery codes) and by
``accounts.views.change_password``. The time comes from the session
(``accounts.session.second_factor_time``): a browser that skipped the second step
(remembered) has none, and is asked.
"""

from __future__ import annotations

import time

from flask import redirect, url_for
from flask.typing import ResponseReturnValue

from panda_portal.accounts.models import Account
from panda_portal.accounts.session import second_factor_time
from panda_portal.mfa.services import two_step

STEP_UP_SECONDS = 10 * 60


def needs_step_up(account: Account) -> bool:
    if not two_step.is_on(account):
        return False
    given_at = second_factor_time()
    return given_at is None or time.time() - given_at > STEP_UP_SECONDS


def step_up_first(account: Account, next_path: str) -> ResponseReturnValue | None:
    """The way to confirm with the second factor (and come back to ``next_path``), or ``None`` when recent enough."""
    if not needs_step_up(account):
        return None
    return redirect(url_for("mfa.confirm", next=next_path))
