"""Who hears about a case: its customer side or its agent side, with the link each of them opens.

A person hears about a case only while they may see it: a customer while Panda lists
the case's organization for them, an agent while they are one (``auth.access``). That
is checked twice: here, when the mail is queued, and again by the outbox worker just
before it is sent (``delivery``), so a mail queued before someone lost access is
dropped, not sent. The agents' team address is not a person and always hears.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from shared.outbox.rendering import queue_mail
from support_community.auth.models import PersonAccess, PersonOrganization
from support_community.cases.emails.delivery import AUDIENCE, SUPPORT_AGENT
from support_community.cases.labels import SEVERITY_LABELS, STATUS_LABELS
from support_community.cases.models import Case, CaseFollower, Person
from support_community.extensions import db
from support_community.inbound.addresses import case_mail_headers
from support_community.inbound.addresses import enabled as replies_enabled
from support_community.outbox.services import outbox


@dataclass(frozen=True)
class Recipient:
    email: str
    locale: str | None
    name: str | None  # None for the agents' team address
    link: str
    # Whose mail it is, and what they must still hold when it is sent: the case's organization
    # (customers) or the agent role (agents). None for the agents' team address.
    sub: str | None = None
    as_agent: bool = False


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


def _without_access(subs: list[str], organization_id: uuid.UUID) -> set[str]:
    """Who of ``subs`` is known here and may no longer see the organization's cases (two queries)."""
    if not subs:
        return set()
    known = {row.sub: row for row in db.session.scalars(select(PersonAccess).where(PersonAccess.sub.in_(subs)))}
    holding = set(
        db.session.scalars(
            select(PersonOrganization.sub).where(
                PersonOrganization.organization_id == organization_id, PersonOrganization.sub.in_(subs)
            )
        )
    )
    # Someone not known yet is decided when the mail is sent (the worker asks Panda).
    return {sub for sub, row in known.items() if sub not in holding and SUPPORT_AGENT not in (row.roles or [])}


def customer_side(case: Case, *, actor: Person) -> list[Recipient]:
    """The opener and the followers who want mails about followed cases and may still see the case, never the actor."""
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
    for sub in _without_access(list(people), case.organization_id):
        people.pop(sub)
    link = customer_case_url(case)
    return _unique([Recipient(p.email, p.locale, p.name, link, sub=p.sub) for p in people.values()])


def agent_side(case: Case, *, actor: Person) -> list[Recipient]:
    """The assignee or, while nobody is assigned, the agents' team address."""
    link = agent_case_url(case)
    if case.assignee_sub is None:
        address = current_app.config.get("AGENTS_TEAM_ADDRESS")
        return [Recipient(address, team_locale(), None, link)] if address else []
    assignee = case.assignee or db.session.get(Person, case.assignee_sub)
    if assignee is None or assignee.sub == actor.sub:
        return []
    return _unique([Recipient(assignee.email, assignee.locale, assignee.name, link, sub=assignee.sub, as_agent=True)])


def send(name: str, recipients: list[Recipient], case: Case, *, actor: Person, **context: Any) -> None:
    """Queue the mail ``name`` about ``case`` for each recipient, in their language, with their link.

    Each mail's ``Reply-To`` routes a reply to the case as that recipient's (``inbound.addresses``).
    """
    for recipient in recipients:
        row = queue_mail(
            outbox,
            name,
            to=recipient.email,
            locale=recipient.locale,
            # Replies go to the case (for this recipient), and clients keep the case's mails in one thread.
            headers=case_mail_headers(case.id, recipient.sub),
            replies_by_mail=replies_enabled(),
            recipient=recipient.name,
            link=recipient.link,
            case=case,
            organization=case.organization_name,
            actor=actor,
            status_labels=STATUS_LABELS,
            severity_labels=SEVERITY_LABELS,
            **context,
        )
        if recipient.sub is not None:
            # What the worker checks again just before sending (``delivery``).
            audience = {"sub": recipient.sub, "agent": recipient.as_agent, "organization_id": str(case.organization_id)}
            row.payload = dict(row.payload, **{AUDIENCE: audience})
