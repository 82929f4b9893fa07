"""The people the community knows: a row per ``sub``, kept in step with Panda's tokens.

Cases, messages and followers point at a ``Person``; the row is written at sign-in
and the first time someone acts (opens a case, replies, follows), and its name,
address, language and agent flag are refreshed from the token at every sign-in,
every "Switch organization" and whenever they act, so mails reach them in the
language they chose in Panda.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite

from shared.database import utcnow
from shared.i18n import LANGUAGES
from support_community.auth import signals
from support_community.auth.access import SUPPORT_AGENT
from support_community.auth.session import SignedInPerson
from support_community.cases.models import Person
from support_community.extensions import db

# "Last seen" is a hint, not an audit trail: written at most this often.
LAST_SEEN_RESOLUTION = dt.timedelta(hours=1)


def _language(locale: str | None) -> str:
    code = (locale or "").replace("_", "-").split("-", 1)[0].lower()
    return code if code in LANGUAGES else "en"


def _claims_of(user: SignedInPerson) -> dict:
    return {
        "name": (user.name or user.email or user.sub)[:200],
        "email": (user.email or "")[:254],
        "locale": _language(user.locale),
        "is_agent": user.is_support_agent,
    }


def _insert_if_missing(sub: str, values: dict) -> None:
    """Insert the row unless another request of the same person just did."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Person).values(sub=sub, last_seen_at=utcnow(), notify_followed=True, **values)
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["sub"]))


def person_for(user: SignedInPerson) -> Person:
    """The ``Person`` row of the signed-in ``user``, created or refreshed from the token's claims."""
    values = _claims_of(user)
    person = db.session.get(Person, user.sub)
    if person is None:
        _insert_if_missing(user.sub, values)
        person = db.session.get(Person, user.sub)
        assert person is not None
    now = utcnow()
    for name, value in values.items():
        if getattr(person, name) != value:
            setattr(person, name, value)
    if person.last_seen_at is None or now - person.last_seen_at > LAST_SEEN_RESOLUTION:
        person.last_seen_at = now
    db.session.flush()
    return person


@signals.claims_accepted.connect
def _refresh_person(_app, *, user: SignedInPerson) -> None:
    person_for(user)


@signals.access_changed.connect
def _access_lost(_app, *, sub: str, roles: tuple[str, ...] = (), **_changes) -> None:
    """Someone lost organizations (or their agent role) in Panda: the cases of what is no longer
    theirs stop reaching them, also as a follower; an agent no longer one leaves the agents' lists."""
    from support_community.cases.services.conversation import stop_following_what_is_no_longer_theirs

    agent = SUPPORT_AGENT in roles
    person = db.session.get(Person, sub)
    if person is not None and person.is_agent and not agent:
        person.is_agent = False
    if not agent:
        stop_following_what_is_no_longer_theirs(sub)
    db.session.flush()
