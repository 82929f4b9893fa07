"""Mail preferences: whether someone hears about cases they only follow."""

from __future__ import annotations

from support_community.cases.models import Person
from support_community.extensions import db


def set_followed_case_mails(person: Person, enabled: bool) -> bool:
    """Turn mails about cases ``person`` only follows on or off; returns whether anything changed.

    Mails about cases they opened (or, for agents, were assigned) keep coming.
    """
    if person.notify_followed == enabled:
        return False
    person.notify_followed = enabled
    db.session.flush()
    return True
