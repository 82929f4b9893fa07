"""Who hears about a case: its customer side or its agent side, with the link each of them opens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from shared.outbox.rendering import queue_mail
from support_community.cases.labels import SEVERITY_LABELS, STATUS_LABELS
from support_community.cases.models import Case, CaseFollower, Person
from support_community.extensions import db
from support_community.outbox.services import outbox


@dataclass(frozen=True)
class Recipient:
    email: str
    locale: str | None
    name: str | None  # None for the agents' team address
    link: str


def community_url() -> str:
    return current_app.config["COMMUNITY_URL"].rstrip("/")


def customer_case_url(case: Case) -> str:
    """The case inside its organization's context, as its customers open it."""
    return f"{community_url()}/orgs/{case.organization_id}/cases/{case.id}"


def agent_case_url(case: Case) -> str:
    return f"{community_url()}/agent/cases/{case.id}"


def team_locale() -> str:
    return current_app.config.get("AGENTS_TEAM_LOCALE") or "en"


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    seen: set[str] = set()
    unique = []
    for recipient in recipients:
        key = recipient.email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            unique.append(recipient)
    return unique


def customer_side(case: Case, *, actor: Person) -> list[Recipient]:
    """The opener and the followers who want mails about followed cases, never the actor."""
    people: dict[str, Person] = {case.opened_by.sub: case.opened_by}
    followers = db.session.scalars(
        select(Person)
        .join(CaseFollower, CaseFollower.person_sub == Person.sub)
        .where(CaseFollower.case_id == case.id)
        .order_by(Person.sub)
    ).all()
    for follower in followers:
        if follower.sub not in people and follower.notify_followed:
            people[follower.sub] = follower
    people.pop(actor.sub, None)
    link = customer_case_url(case)
    return _unique([Recipient(p.email, p.locale, p.name, link) for p in people.values()])


def agent_side(case: Case, *, actor: Person) -> list[Recipient]:
    """The assignee or, while nobody is assigned, the agents' team address."""
    link = agent_case_url(case)
    if case.assignee_sub is None:
        address = current_app.config.get("AGENTS_TEAM_ADDRESS")
        return [Recipient(address, team_locale(), None, link)] if address else []
    assignee = case.assignee or db.session.get(Person, case.assignee_sub)
    if assignee is None or assignee.sub == actor.sub:
        return []
    return _unique([Recipient(assignee.email, assignee.locale, assignee.name, link)])


def send(name: str, recipients: list[Recipient], case: Case, *, actor: Person, **context: Any) -> None:
    """Queue the mail ``name`` about ``case`` for each recipient, in their language, with their link."""
    for recipient in recipients:
        queue_mail(
            outbox,
            name,
            to=recipient.email,
            locale=recipient.locale,
            recipient=recipient.name,
            link=recipient.link,
            case=case,
            organization=case.organization_name,
            actor=actor,
            status_labels=STATUS_LABELS,
            severity_labels=SEVERITY_LABELS,
            **context,
        )
