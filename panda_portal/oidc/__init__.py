"""Panda as OpenID Provider (Authlib): clients, grants, keys, claims, discovery, logout, access events.

Endpoints (all listed in ``/.well-known/openid-configuration``): ``/authorize``,
``/token``, ``/userinfo``, ``/revoke``, ``/introspect`` (RFC 7662), ``/jwks``, ``/end-session``,
and ``/access`` (a client reads a person's ``orgs``).

The OpenID Provider reacts to what accounts and organizations announce with their
signals (``accounts.signals``, ``organizations.signals``): they never import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from panda_portal.accounts.models import Account
    from panda_portal.organizations.models import Organization


def _session_ended(sender: Any, account: Account | None = None, sid: str | None = None, **_: Any) -> None:
    from panda_portal.oidc.services import notify_account_sessions_ended

    if account is not None:
        notify_account_sessions_ended(account, sid=sid)


def _all_sessions_ended(sender: Any, account: Account | None = None, **_: Any) -> None:
    from panda_portal.oidc.services import notify_account_sessions_ended

    if account is not None:
        notify_account_sessions_ended(account)


def _account_disabled(sender: Any, account: Account | None = None, **_: Any) -> None:
    from panda_portal.oidc.access import mark_changed
    from panda_portal.oidc.events import EVERYTHING, queue_access_event
    from panda_portal.oidc.services import notify_account_sessions_ended

    if account is not None:
        notify_account_sessions_ended(account)
        mark_changed(account)
        queue_access_event(account, withdrawn=[EVERYTHING])


def _access_reduced(
    sender: Any, account: Account | None = None, organization: Organization | None = None, **_: Any
) -> None:
    from panda_portal.oidc.access import mark_changed
    from panda_portal.oidc.events import queue_access_event

    if account is not None:
        mark_changed(account)
        queue_access_event(account, withdrawn=[organization.id] if organization is not None else [])


def _access_granted(sender: Any, account: Account | None = None, **_: Any) -> None:
    from panda_portal.oidc.access import mark_changed
    from panda_portal.oidc.events import queue_access_event

    if account is not None:
        mark_changed(account)
        queue_access_event(account)


def init_oidc(app: Flask) -> None:
    from panda_portal.accounts import signals as account_signals
    from panda_portal.extensions import csrf
    from panda_portal.oidc import events
    from panda_portal.oidc.events import ACCESS_EVENT, deliver_access_event
    from panda_portal.oidc.logout import deliver_backchannel_logout
    from panda_portal.oidc.push import push_committed
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
    outbox.register(ACCESS_EVENT, deliver_access_event)
    outbox.register(events.ACCOUNT_EVENT, events.deliver_account_event)
    # A Panda session ending (sign-out) ends its grants; a password change or a
    # disabled account ends all of the person's grants. Clients are told either way.
    account_signals.signed_out.connect(_session_ended, weak=False)
    account_signals.password_changed.connect(_all_sessions_ended, weak=False)
    account_signals.account_disabled.connect(_account_disabled, weak=False)
    # An undone change of address ends every session; a deleted account is erased by the clients;
    # the person's data download includes what the clients hold.
    account_signals.sessions_revoked.connect(_all_sessions_ended, weak=False)
    account_signals.account_deleting.connect(events.account_deleting, weak=False)
    account_signals.personal_data_requested.connect(events.personal_data_requested, weak=False)
    # Someone's access to an organization shrank or grew: the clients are told with an
    # access event, and the person's very next request there follows it.
    organization_signals.access_reduced.connect(_access_reduced, weak=False)
    organization_signals.access_granted.connect(_access_granted, weak=False)

    # Back-channel messages queued by a request leave before its answer does (``push``).
    @app.after_request
    def _push_back_channel_messages(response: Response) -> Response:
        push_committed(app)
        return response

    @app.teardown_appcontext
    def _push_left_over_messages(_exc: BaseException | None) -> None:
        # A command (``panda users disable``) has no request: its messages leave here.
        push_committed(app)
