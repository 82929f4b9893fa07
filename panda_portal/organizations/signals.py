"""What happens to organizations, for the OpenID Provider to react to.

Organizations announce upwards with signals, as accounts do (why: ``accounts.signals``);
``oidc.init_oidc`` connects to them, so organizations never import ``oidc``.

``access_reduced``  ``(app, account=Account, organization=Organization, reason=str)``:
                    someone lost (some) access to an organization (removed, left,
                    demoted, an application access unticked); ``reason`` is one of the
                    constants of ``services.access_changes``. Sent in the transaction
                    of the change.
``access_granted``  ``(app, account=Account, organization=Organization, reason=str)``:
                    someone gained access to an organization (a new organization, a
                    request approved, an invitation accepted, an application access
                    ticked, made administrator). Sent in the transaction of the change.
``join_requested``  ``(app, membership=Membership)``: someone asked to join an organization
                    (the membership is pending). Sent in the transaction of the request.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

access_reduced = _signals.signal("access-reduced")
access_granted = _signals.signal("access-granted")
join_requested = _signals.signal("join-requested")
