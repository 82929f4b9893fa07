"""Who hears about what happens to a case, by mail through the outbox."""
from __future__ import annotations

from support_community.cases.models import Case, CaseMessage, Person


def case_opened(case: Case, *, actor: Person) -> None:
    """The assignee, or the agents' team address, hears of a new case."""


def customer_replied(case: Case, message: CaseMessage, *, actor: Person) -> None:
    """The assignee, or the agents' team address, hears of a customer's reply."""


def agent_replied(case: Case, message: CaseMessage, *, actor: Person) -> None:
    """The opener and followers hear of an agent's public reply (never of an internal note)."""


def status_changed(case: Case, old: str, new: str, *, actor: Person) -> None:
    """The opener and followers hear of a status change."""
