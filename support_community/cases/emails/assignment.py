"""The mail to an agent who was given a case."""

from __future__ import annotations

from support_community.cases.emails.recipients import Recipient, agent_case_url, send
from support_community.cases.models import Case, Person
from support_community.extensions import db


def send_case_assigned(case: Case, *, actor: Person) -> None:
    """An agent hears that someone else gave them a case."""
    assignee = case.assignee or (db.session.get(Person, case.assignee_sub) if case.assignee_sub else None)
    if assignee is None or assignee.sub == actor.sub or not assignee.email:
        return
    send(
        "case_assigned",
        [
            Recipient(
                assignee.email, assignee.locale, assignee.name, agent_case_url(case), sub=assignee.sub, as_agent=True
            )
        ],
        case,
        actor=actor,
    )
