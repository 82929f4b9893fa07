"""What happens at sign-in and to a person's access, for other parts of the community to react to.

``claims_accepted`` ``(app, user=SignedInPerson)``: Panda's claims about the signed-in person
were just accepted (at sign-in, and when "Switch organization" reads them again).
Sent inside the request's transaction, which the sending view commits.

``access_changed`` ``(app, sub=str, withdrawn=frozenset[uuid.UUID], everything=bool, roles=tuple[str, ...])``:
the organizations (or roles) a person may act with changed (``auth.access``). ``withdrawn``
names the organizations lost, ``everything`` says all were; ``roles`` are the person's
roles now. Sent in the transaction that stores the change.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

claims_accepted = _signals.signal("claims-accepted")
access_changed = _signals.signal("access-changed")
