"""Panda as OpenID Provider (Authlib): clients, grants, keys, claims, discovery, logout.

Endpoints (all listed in ``/.well-known/openid-configuration``): ``/authorize``,
``/token``, ``/userinfo``, ``/revoke``, ``/jwks``, ``/end-session``.
"""
from __future__ import annotations

from typing import Any

from flask import Flask


def _session_ended(sender: Any, account: Any = None, sid: str | None = None, **_: Any) -> None:
    from panda_portal.oidc.services import notify_account_sessions_ended

    if account is not None:
        notify_account_sessions_ended(account, sid=sid)


def _all_sessions_ended(sender: Any, account: Any = None, **_: Any) -> None:
    from panda_portal.oidc.services import notify_account_sessions_ended

    if account is not None:
        notify_account_sessions_ended(account)


def init_oidc(app: Flask) -> None:
    from panda_portal.accounts import signals
    from panda_portal.extensions import csrf
    from panda_portal.oidc.logout import deliver_backchannel_logout
    from panda_portal.oidc.server import create_server
    from panda_portal.oidc.services import BACKCHANNEL_LOGOUT
    from panda_portal.oidc.views import CSRF_EXEMPT, bp
    from panda_portal.outbox.services import outbox

    app.extensions["panda_oidc"] = create_server(app)
    app.register_blueprint(bp)
    # Clients post to these without a form of ours: they authenticate otherwise.
    for view in CSRF_EXEMPT:
        csrf.exempt(view)
    outbox.register(BACKCHANNEL_LOGOUT, deliver_backchannel_logout)
    # A Panda session ending (sign-out) ends its grants; a password change or a
    # disabled account ends all of the person's grants. Clients are told either way.
    signals.signed_out.connect(_session_ended, weak=False)
    signals.password_changed.connect(_all_sessions_ended, weak=False)
    signals.account_disabled.connect(_all_sessions_ended, weak=False)
