"""What happens to accounts, for other parts of Panda to react to (the OpenID Provider, the audit log).

Every signal is sent with the application as sender, inside the transaction of the
change, so a receiver that writes (an outbox message, an audit row) commits or rolls
back together with it.

``signed_out``        ``(app, account=Account, sid=str | None)``: a person signed out of
                      Panda in this browser; sent before the session is cleared.
``password_changed``  ``(app, account=Account)``: the password was changed or reset; sent
                      before the account's sessions end (all of them after a reset, all
                      but the current one after a change), so receivers can still read them.
``account_disabled``  ``(app, account=Account)``: an operator disabled the account; sent
                      before its sessions end.
``account_changed``   ``(app, account=Account, action=str, actor=Account | None,
                      details=dict)``: every change to an account (registered, verified,
                      profile edited, password changed, disabled, ...), from the single
                      place in ``services`` where it happens (``_record``). ``actor`` is the
                      signed-in person who acted, or ``None``: the person themselves through
                      a mailed link or a registration form, or an operator at the command line.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

signed_out = _signals.signal("signed-out")
password_changed = _signals.signal("password-changed")
account_disabled = _signals.signal("account-disabled")
account_changed = _signals.signal("account-changed")
