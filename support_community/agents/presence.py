"""Other agents on a case as the case page says it: who is writing a reply, who else looked at it."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from support_community.cases.services.collisions import Colleague


def colleagues_text(colleagues: list[Colleague]) -> str:
    """ "Eva Claes is writing a reply. Also on this case: Tom Maes." (empty when nobody else is)."""
    writing = [c.name for c in colleagues if c.replying]
    viewing = [c.name for c in colleagues if not c.replying]
    parts = []
    if writing:
        parts.append(
            ngettext(
                "%(names)s is writing a reply.",
                "%(names)s are writing a reply.",
                len(writing),
                names=", ".join(writing),
            )
        )
    if viewing:
        parts.append(_("Also on this case in the last few minutes: %(names)s.", names=", ".join(viewing)))
    return " ".join(parts)
