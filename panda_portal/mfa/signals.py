"""What happens to a person's second factor, for the parts of Panda above ``mfa`` to react to.

Sent with ``accounts.signals.announce`` (the application as sender), inside the
transaction of the change. ``organizations`` connects to them: an organization that
requires two-step verification appears in, or leaves, the person's ``orgs`` for the
client applications (``organizations.services.two_step_requirement``).

``two_step_enabled``   ``(app, account=Account)``: two-step verification was turned on.
``two_step_disabled``  ``(app, account=Account)``: two-step verification was turned off.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

two_step_enabled = _signals.signal("two-step-enabled")
two_step_disabled = _signals.signal("two-step-disabled")
