"""Mails about replies: a customer's to the agent side, an agent's public one to the customer side."""

from __future__ import annotations

from support_community.cases.emails.recipients import agent_side, customer_side, send
from support_community.cases.models import Case, CaseMessage, MessageKind, Person


def send_customer_replied(case: Case, message: CaseMessage, *, actor: Person) -> None:
    """The assignee, or the agents' team address, hears of a customer's reply."""
    if message.kind != MessageKind.REPLY:
        return
    send("case_customer_replied", agent_side(case, actor=actor), case, actor=actor, text=message.body)


def send_agent_replied(case: Case, message: CaseMessage, *, actor: Person) -> None:
    """The opener and followers hear of an agent's public reply (never of an internal note)."""
    if message.kind != MessageKind.REPLY:
        return
    send("case_agent_replied", customer_side(case, actor=actor), case, actor=actor, text=message.body)
