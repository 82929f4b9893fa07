"""Who works on a case: assigning it to an agent (oneself or a colleague), or to nobody."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from shared.database import utcnow
from shared.errors import DomainError
from support_community.cases import signals
from support_community.cases.emails.assignment import send_case_assigned
from support_community.cases.models import Case, CaseEvent, Person
from support_community.extensions import db


class AssignmentError(DomainError):
    """An assignment was refused; ``message`` tells the person why."""


class NotAnAgentError(AssignmentError):
    def __init__(self) -> None:
        super().__init__(_("Cases can only be assigned to support agents."))


def list_agents() -> list[Person]:
    """Everyone known as a support agent (the token's roles said so at their last sign-in)."""
    return list(db.session.scalars(select(Person).where(Person.is_agent.is_(True)).order_by(Person.name, Person.sub)))


def find_agent(sub: str) -> Person | None:
    person = db.session.get(Person, sub) if sub else None
    return person if person is not None and person.is_agent else None


def assign(case: Case, assignee: Person | None, *, actor: Person) -> CaseEvent | None:
    """Give ``case`` to ``assignee`` (None: nobody); records history and tells the new assignee.

    Returns None when nothing changes.
    """
    if assignee is not None and not assignee.is_agent:
        raise NotAnAgentError()
    new_sub = assignee.sub if assignee is not None else None
    if case.assignee_sub == new_sub:
        return None
    old = case.assignee
    case.assignee_sub = new_sub
    case.assignee = assignee
    event = CaseEvent(
        case_id=case.id,
        actor_sub=actor.sub,
        actor=actor,
        field="assignee",
        old_value=old.name if old is not None else None,
        new_value=assignee.name if assignee is not None else None,
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    if assignee is not None:
        send_case_assigned(case, actor=actor)
    signals.announce(signals.case_assigned, case=case, assignee=assignee, actor=actor)
    return event
