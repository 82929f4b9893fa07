"""Signing in with a passkey alone, without a password (a discoverable WebAuthn credential).

The sign-in page offers "Sign in with a passkey" when the browser can: its script asks
``/sign-in/passkey/options`` for the options (no account is named: the browser offers the
passkeys it holds for this site), runs the ceremony, and posts the answer to
``/sign-in/passkey``. The challenge waits in the server-side session, used once, for
``CHALLENGE_SECONDS``. The authenticator must verify the person (a PIN or biometrics):
a passkey with user verification is two factors in one, so the session's ``amr`` is
``hwk`` (or ``swk`` for a passkey that can be synced to other devices), ``user`` and
``mfa``, and no second step follows. Failures are throttled like wrong passwords and all
read the same, so nothing tells whether an account or a passkey exists.
"""

from __future__ import annotations

import time

from flask import current_app, render_template, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from panda_portal.accounts.forms import SignInForm
from panda_portal.accounts.views import _client_key, _config_value, _failed, _note_failure
from panda_portal.extensions import db, limiter
from panda_portal.mfa import pending
from panda_portal.mfa.errors import WrongCodeError
from panda_portal.mfa.forms import PasskeySignInForm
from panda_portal.mfa.services import passkeys
from panda_portal.mfa.views import bp, ceremony
from shared.access import public
from shared.metrics import count_sign_in
from shared.web import safe_next

SIGN_IN_CHALLENGE = "mfa_passkey_sign_in_challenge"
CHALLENGE_SECONDS = 5 * 60

passkey_sign_in_limit = limiter.limit(
    _config_value("SIGN_IN_LIMIT_PER_ADDRESS"),
    key_func=_client_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="passkey-sign-in",
)


@bp.post("/sign-in/passkey/options")
@public
def passkey_sign_in_options() -> ResponseReturnValue:
    """A fresh challenge for a passkey sign-in (JSON); the form's CSRF token comes with the request."""
    options, challenge = passkeys.sign_in_options(ceremony())
    session[SIGN_IN_CHALLENGE] = {"challenge": challenge, "at": int(time.time())}
    return current_app.response_class(options, mimetype="application/json", headers={"Cache-Control": "no-store"})


def _challenge() -> str | None:
    """The challenge given to this browser, used once (also when the answer is wrong)."""
    kept = session.pop(SIGN_IN_CHALLENGE, None)
    if not isinstance(kept, dict) or not isinstance(kept.get("challenge"), str):
        return None
    if not isinstance(kept.get("at"), int) or time.time() - kept["at"] > CHALLENGE_SECONDS:
        return None
    return kept["challenge"]


@bp.post("/sign-in/passkey")
@public
@passkey_sign_in_limit
def passkey_sign_in() -> ResponseReturnValue:
    form = PasskeySignInForm()
    next_path = safe_next(form.next.data, "")
    try:
        if not form.validate():
            raise WrongCodeError(_("This passkey could not sign you in. Use your password instead."))
        signed_in = passkeys.sign_in(form.passkey_response.data, challenge=_challenge(), ceremony=ceremony())
    except WrongCodeError as error:
        session.pop(SIGN_IN_CHALLENGE, None)
        _note_failure()
        count_sign_in("failed")
        sign_in_form = SignInForm(formdata=None, next=next_path)
        return render_template("accounts/sign_in.html", form=sign_in_form, problem=error.message), 400
    response = pending.finish_sign_in(signed_in.account, methods=signed_in.methods, next_path=next_path)
    db.session.commit()
    count_sign_in("ok")
    return response
