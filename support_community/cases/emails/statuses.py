"""The mail about a status change."""

from __future__ import annotations

from support_community.cases.emails.recipients import agent_side, customer_side, send
from support_community.cases.models import Case, CaseMessage, MessageKind, Person, Status


def send_status_changed(
    case: Case, old: str, new: str, *, actor: Person, comment: CaseMessage | None = None, by_agent: bool = True
) -> None:
    """The opener and followers hear of a status change, with the public comment that came with it.

    When a customer closes or reopens a case, the agent side hears of it too.
    """
    text = comment.body if comment is not None and comment.kind == MessageKind.REPLY else None
    context = {"old": Status(old), "new": Status(new), "text": text}
    customers = customer_side(case, actor=actor)
    if Status(new) == Status.SOLVED:
        # "How did we do?": each customer's mail carries rating links signed for them.
        from support_community.cases.services.satisfaction import rating_links

        for customer in customers:
            links = rating_links(case, customer.sub) if customer.sub else None
            send("case_status_changed", [customer], case, actor=actor, for_agents=False, rating=links, **context)
    else:
        send("case_status_changed", customers, case, actor=actor, for_agents=False, **context)
    if not by_agent:
        already = {r.email.lower() for r in customers}
        agents = [r for r in agent_side(case, actor=actor) if r.email.lower() not in already]
        send("case_status_changed", agents, case, actor=actor, for_agents=True, **context)
