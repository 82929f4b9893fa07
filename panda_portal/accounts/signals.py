"""What happens to accounts, for the OpenID Provider to react to.

How Panda's parts tell each other, one way everywhere: a part calls what lies beneath
it directly (everyone writes the audit log and the outbox; ``oidc`` reads accounts and
organizations), and announces upwards with a blinker signal. The OpenID Provider
depends on accounts and organizations, never the other way round: accounts and
organizations send signals (this module, ``organizations.signals``) and
``oidc.init_oidc`` connects to them, so neither imports ``oidc``. A signal without a
receiver in Panda is not kept.

Every signal is sent with the application as sender (``announce``), inside the
transaction of the change, so a receiver that writes (an outbox message, a revoked
grant) commits or rolls back together with it.

``signed_out``        ``(app, account=Account, sid=str | None)``: a person signed out of
                      Panda in this browser (a sign-out page, or a client's logout
                      request); sent before the session is cleared.
``password_changed``  ``(app, account=Account)``: the password was changed or reset; sent
                      before the account's sessions end (all of them after a reset, all
                      but the current one after a change), so receivers can still read them.
``account_disabled``  ``(app, account=Account)``: an operator disabled the account; sent
                      before its sessions end.
``sessions_revoked``  ``(app, account=Account)``: every session of the account ends for a
                      reason other than the password (a change of address undone); sent
                      before they end.
``account_deleting``  ``(app, account=Account)``: the person deletes their account; sent
                      before its row is deleted, so receivers can still read it (clients
                      are told to erase what they hold about the person).
``personal_data_requested`` ``(app, account=Account)``: the person downloads their data;
                      each receiver returns ``{file name: JSON-ready data}`` for the archive.
"""

from __future__ import annotations

from typing import Any, cast

from blinker import NamedSignal, Namespace
from flask import Flask, current_app
from werkzeug.local import LocalProxy

_signals = Namespace()

signed_out = _signals.signal("signed-out")
password_changed = _signals.signal("password-changed")
account_disabled = _signals.signal("account-disabled")
sessions_revoked = _signals.signal("sessions-revoked")
account_deleting = _signals.signal("account-deleting")
personal_data_requested = _signals.signal("personal-data-requested")


def announce(signal: NamedSignal, **data: Any) -> None:
    """Send ``signal`` with the application itself (not the context-local proxy) as sender."""
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    signal.send(app, **data)
