"""Panda as OpenID Provider (Authlib): clients, grants, keys, claims, discovery, logout.

Endpoints (all listed in ``/.well-known/openid-configuration``): ``/authorize``,
``/token``, ``/userinfo``, ``/revoke``, ``/jwks``, ``/end-session``.

The OpenID Provider reacts to what accounts and organizations announce with their
signals (``accounts.signals``, ``organizations.signals``): they never import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from panda_portal.accounts.models import Account


def _session_ended(sender: Any, account: Account | None = None, sid: str | None = None, **_: Any) -> None:
    from panda_portal.oidc.services import notify_account_sessions_ended

    if account is not None:
        notify_account_sessions_ended(account, sid=sid)


def _all_sessions_ended(sender: Any, account: Account | None = None, **_: Any) -> None:
    from panda_portal.oidc.services import notify_account_sessions_ended

    if account is not None:
        notify_account_sessions_ended(account)


def _access_reduced(sender: Any, account: Account | None = None, **_: Any) -> None:
    from panda_portal.oidc.services import queue_backchannel_logout

    if account is not None:
        queue_backchannel_logout(account)


def init_oidc(app: Flask) -> None:
    from panda_portal.accounts import signals as account_signals
    from panda_portal.extensions import csrf
    from panda_portal.oidc.logout import deliver_backchannel_logout
    from panda_portal.oidc.server import create_server
    from panda_portal.oidc.services import BACKCHANNEL_LOGOUT
    from panda_portal.oidc.views import CSRF_EXEMPT, bp
    from panda_portal.organizations import signals as organization_signals
    from panda_portal.outbox.services import outbox

    app.extensions["panda_oidc"] = create_server(app)
    app.register_blueprint(bp)
    # Clients post to these without a form of ours: they authenticate otherwise.
    for view in CSRF_EXEMPT:
        csrf.exempt(view)
    outbox.register(BACKCHANNEL_LOGOUT, deliver_backchannel_logout)
    # A Panda session ending (sign-out) ends its grants; a password change or a
    # disabled account ends all of the person's grants. Clients are told either way.
    account_signals.signed_out.connect(_session_ended, weak=False)
    account_signals.password_changed.connect(_all_sessions_ended, weak=False)
    account_signals.account_disabled.connect(_all_sessions_ended, weak=False)
    # Someone's access to an organization shrank: the clients end the person's sessions there,
    # so the next request signs in again and receives the new ``orgs`` claim.
    organization_signals.access_reduced.connect(_access_reduced, weak=False)
