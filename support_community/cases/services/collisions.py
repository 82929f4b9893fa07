"""Two agents on one case: who else has it open or is writing a reply, and what arrived meanwhile.

An agent's case page records that they viewed it (``seen``); while they type a reply the page
says so every little while (``replying``). The page shows the other agents seen in the last
``RECENT`` minutes, and those who were writing in the last ``WRITING`` minutes. When a reply is
sent, ``arrived_since`` lists the messages others added after the page was opened: the reply
is then shown again with them, to be sent anyway or changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from shared.database import utcnow
from support_community.cases.models import Case, CaseMessage, Person
from support_community.cases.workspace_models import CasePresence
from support_community.extensions import db

RECENT = dt.timedelta(minutes=5)
WRITING = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Colleague:
    name: str
    seen_at: dt.datetime
    replying: bool


def _upsert(case: Case, agent: Person, values: dict) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CasePresence).values(case_id=case.id, agent_sub=agent.sub, **values)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["case_id", "agent_sub"], set_={name: statement.excluded[name] for name in values}
        )
    )


def seen(case: Case, *, actor: Person, now: dt.datetime | None = None) -> None:
    """``actor`` has the case's page open."""
    _upsert(case, actor, {"viewed_at": now or utcnow()})


def replying(case: Case, *, actor: Person, now: dt.datetime | None = None) -> None:
    """``actor`` is writing a reply on the case's page."""
    moment = now or utcnow()
    _upsert(case, actor, {"viewed_at": moment, "replying_at": moment})


def done_replying(case: Case, *, actor: Person) -> None:
    """The reply is sent: ``actor`` no longer writes one."""
    presence = db.session.get(CasePresence, (case.id, actor.sub))
    if presence is not None:
        presence.replying_at = None
        db.session.flush()


def others(case: Case, *, actor: Person, now: dt.datetime | None = None) -> list[Colleague]:
    """The other agents who had the case open lately, writers first."""
    moment = now or utcnow()
    rows = db.session.scalars(
        select(CasePresence)
        .where(
            CasePresence.case_id == case.id,
            CasePresence.agent_sub != actor.sub,
            CasePresence.viewed_at >= moment - RECENT,
        )
        .order_by(CasePresence.viewed_at.desc())
    ).unique()
    found = [
        Colleague(
            name=row.agent.name,
            seen_at=row.viewed_at,
            replying=row.replying_at is not None and _aware(row.replying_at) >= moment - WRITING,
        )
        for row in rows
    ]
    return sorted(found, key=lambda colleague: not colleague.replying)


def arrived_since(case: Case, since: dt.datetime | None, *, actor: Person) -> list[CaseMessage]:
    """Messages others added to the case after ``since`` (the moment the agent's page was made)."""
    if since is None:
        return []
    return list(
        db.session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case.id, CaseMessage.created_at > since, CaseMessage.author_sub != actor.sub)
            .order_by(CaseMessage.created_at, CaseMessage.id)
        ).unique()
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
