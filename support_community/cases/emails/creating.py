"""The mail about a new case."""

from __future__ import annotations

from sqlalchemy import select

from support_community.cases.emails.recipients import agent_side, send
from support_community.cases.models import Case, CaseMessage, MessageKind, Person
from support_community.extensions import db


def _description(case: Case) -> str:
    body = db.session.scalars(
        select(CaseMessage.body)
        .where(CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.DESCRIPTION)
        .order_by(CaseMessage.created_at)
        .limit(1)
    ).first()
    return body or ""


def send_case_opened(case: Case, *, actor: Person) -> None:
    """The assignee, or the agents' team address, hears of a new case."""
    send("case_opened", agent_side(case, actor=actor), case, actor=actor, text=_description(case))
