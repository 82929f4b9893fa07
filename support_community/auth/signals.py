"""What happens at sign-in, for other parts of the community to react to.

``claims_accepted`` ``(app, user=SignedInPerson)``: Panda's claims about the signed-in person
were just accepted (at sign-in, and when "Switch organization" reads them again).
Sent inside the request's transaction, which the sending view commits.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

claims_accepted = _signals.signal("claims-accepted")
