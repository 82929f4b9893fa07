"""Two-step verification: an authenticator app (TOTP), recovery codes, passkeys, remembered browsers, step-up.

``init_mfa(app)`` registers the pages and connects to the accounts' signals (a new
password forgets the remembered browsers). How it fits together, and what the OpenID
Provider reads from the session, is in ``docs/two-step-verification.md``.
"""

from __future__ import annotations

from flask import Flask


def init_mfa(app: Flask) -> None:
    from panda_portal.accounts import signals
    from panda_portal.mfa import passkey_sign_in, passkey_views  # noqa: F401  (their routes join the blueprint)
    from panda_portal.mfa.services.remembered import forget_after_password_change
    from panda_portal.mfa.views import bp

    app.register_blueprint(bp)
    signals.password_changed.connect(forget_after_password_change, weak=False)
