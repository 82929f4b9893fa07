"""Who hears about what happens to a case, by mail through the outbox.

The customer side (the person who opened the case and its followers) hears of an
agent's public reply and of status changes; the agent side (the assignee or, for
an unassigned case, the agents' team address) hears of new cases and customer
replies. Nobody is told of what they did themselves, internal notes are never
mailed, and each person gets at most one mail per event, in their own language.
Followers who turned off mails for followed cases (``Person.notify_followed``)
hear nothing of cases they did not open.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from shared.outbox.rendering import queue_mail
from support_community.cases.labels import SEVERITY_LABELS, STATUS_LABELS
from support_community.cases.models import Case, CaseFollower, CaseMessage, MessageKind, Person, Status
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
        select(Person).join(CaseFollower, CaseFollower.person_sub == Person.sub)
        .where(CaseFollower.case_id == case.id).order_by(Person.sub)
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


def _send(name: str, recipients: list[Recipient], case: Case, *, actor: Person, **context) -> None:
    for recipient in recipients:
        queue_mail(outbox, name, to=recipient.email, locale=recipient.locale,
                   recipient=recipient.name, link=recipient.link, case=case,
                   organization=case.organization_name, actor=actor, status_labels=STATUS_LABELS,
                   severity_labels=SEVERITY_LABELS, **context)


def _description(case: Case) -> str:
    body = db.session.scalars(
        select(CaseMessage.body).where(CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.DESCRIPTION)
        .order_by(CaseMessage.created_at).limit(1)
    ).first()
    return body or ""


def case_opened(case: Case, *, actor: Person) -> None:
    """The assignee, or the agents' team address, hears of a new case."""
    _send("case_opened", agent_side(case, actor=actor), case, actor=actor, text=_description(case))


def customer_replied(case: Case, message: CaseMessage, *, actor: Person) -> None:
    """The assignee, or the agents' team address, hears of a customer's reply."""
    if message.kind != MessageKind.REPLY:
        return
    _send("case_customer_replied", agent_side(case, actor=actor), case, actor=actor, text=message.body)


def agent_replied(case: Case, message: CaseMessage, *, actor: Person) -> None:
    """The opener and followers hear of an agent's public reply (never of an internal note)."""
    if message.kind != MessageKind.REPLY:
        return
    _send("case_agent_replied", customer_side(case, actor=actor), case, actor=actor, text=message.body)


def status_changed(case: Case, old: str, new: str, *, actor: Person, comment: CaseMessage | None = None,
                   by_agent: bool = True) -> None:
    """The opener and followers hear of a status change, with the public comment that came with it.

    When a customer closes or reopens a case, the agent side hears of it too.
    """
    text = comment.body if comment is not None and comment.kind == MessageKind.REPLY else None
    context = {"old": Status(old), "new": Status(new), "text": text}
    customers = customer_side(case, actor=actor)
    _send("case_status_changed", customers, case, actor=actor, for_agents=False, **context)
    if not by_agent:
        already = {r.email.lower() for r in customers}
        agents = [r for r in agent_side(case, actor=actor) if r.email.lower() not in already]
        _send("case_status_changed", agents, case, actor=actor, for_agents=True, **context)


def case_assigned(case: Case, *, actor: Person) -> None:
    """An agent hears that someone else gave them a case."""
    assignee = case.assignee or (db.session.get(Person, case.assignee_sub) if case.assignee_sub else None)
    if assignee is None or assignee.sub == actor.sub or not assignee.email:
        return
    _send("case_assigned", [Recipient(assignee.email, assignee.locale, assignee.name, agent_case_url(case))],
          case, actor=actor)


def set_followed_case_mails(person: Person, enabled: bool) -> bool:
    """Turn mails about cases ``person`` only follows on or off; returns whether anything changed.

    Mails about cases they opened (or, for agents, were assigned) keep coming.
    """
    if person.notify_followed == enabled:
        return False
    person.notify_followed = enabled
    db.session.flush()
    return True
