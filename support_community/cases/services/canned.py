"""Canned replies: the team's shared library of answers, in English, Dutch and French.

A reply has a title, a text per language (at least one) with placeholders, and optionally
a status it moves the case to. Inserted into a case, it is written in the customer's
language (the opener's; English, then any language written, when that one is missing)
with the placeholders filled in:

    {first_name}  the customer's first name      {case_number}   CS-2026-000123
    {agent_name}  the agent who inserts it       {organization}  the case's organization
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from shared.database import utcnow
from shared.errors import DomainError
from support_community.cases.models import Case, Person, Status
from support_community.cases.services.creating import BODY_MAX
from support_community.cases.workspace_models import LANGUAGES, CannedReply
from support_community.extensions import db

TITLE_MAX = 120
PLACEHOLDERS = ("first_name", "case_number", "agent_name", "organization")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


class CannedReplyError(DomainError):
    """A canned reply cannot be saved as asked; ``message`` says why (``field``: which field)."""


def replies() -> list[CannedReply]:
    """The whole library, by title."""
    return list(db.session.scalars(select(CannedReply).order_by(func.lower(CannedReply.title), CannedReply.id)))


def find(reply_id: uuid.UUID | str | None) -> CannedReply | None:
    try:
        key = reply_id if isinstance(reply_id, uuid.UUID) else uuid.UUID(str(reply_id))
    except ValueError:
        return None
    return db.session.get(CannedReply, key)


def _clean(title: str | None, bodies: dict[str, str | None], set_status: str | None) -> tuple[str, dict, str | None]:
    text = " ".join((title or "").split())
    if not text:
        raise CannedReplyError(_("Give the canned reply a title."), field="title")
    if len(text) > TITLE_MAX:
        raise CannedReplyError(_("A title can be at most %(max)s characters long.", max=TITLE_MAX), field="title")
    cleaned = {language: (bodies.get(language) or "").replace("\r\n", "\n").strip() for language in LANGUAGES}
    if not any(cleaned.values()):
        raise CannedReplyError(_("Write the reply in at least one language."), field="body_en")
    for language, body in cleaned.items():
        if len(body) > BODY_MAX:
            raise CannedReplyError(
                _("A message can be at most %(max)s characters long.", max=BODY_MAX), field=f"body_{language}"
            )
        unknown = sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
        if unknown:
            raise CannedReplyError(
                _(
                    "Unknown placeholder %(names)s. You can use %(known)s.",
                    names=", ".join("{" + name + "}" for name in unknown),
                    known=", ".join("{" + name + "}" for name in PLACEHOLDERS),
                ),
                field=f"body_{language}",
            )
    if set_status:
        try:
            set_status = Status(set_status).value
        except ValueError:
            raise CannedReplyError(_("Choose a status."), field="set_status") from None
    return text, cleaned, set_status or None


def create(
    *, actor: Person, title: str | None, bodies: dict[str, str | None], set_status: str | None = None
) -> CannedReply:
    text, cleaned, status = _clean(title, bodies, set_status)
    now = utcnow()
    reply = CannedReply(
        title=text,
        **{f"body_{language}": body for language, body in cleaned.items()},
        set_status=status,
        created_by_sub=actor.sub,
        updated_by_sub=actor.sub,
        updated_by=actor,
        created_at=now,
        updated_at=now,
    )
    db.session.add(reply)
    db.session.flush()
    return reply


def update(
    reply: CannedReply,
    *,
    actor: Person,
    title: str | None,
    bodies: dict[str, str | None],
    set_status: str | None = None,
) -> CannedReply:
    text, cleaned, status = _clean(title, bodies, set_status)
    reply.title = text
    for language, body in cleaned.items():
        setattr(reply, f"body_{language}", body)
    reply.set_status = status
    reply.updated_by_sub = actor.sub
    reply.updated_by = actor
    reply.updated_at = utcnow()
    db.session.flush()
    return reply


def delete(reply: CannedReply, *, actor: Person) -> None:
    db.session.delete(reply)
    db.session.flush()


@dataclass(frozen=True)
class Inserted:
    """A canned reply as it goes into a case's reply form."""

    body: str
    language: str
    status: Status | None


def customer_language(case: Case) -> str:
    locale = (case.opened_by.locale or "en")[:2].lower()
    return locale if locale in LANGUAGES else "en"


def first_name(person: Person) -> str:
    parts = (person.name or "").split()
    return parts[0] if parts else ""


def render(reply: CannedReply, case: Case, *, actor: Person) -> Inserted:
    """The reply's text in the customer's language, placeholders filled in."""
    wanted = customer_language(case)
    language = next(
        (candidate for candidate in (wanted, "en", *LANGUAGES) if reply.body(candidate)),
        wanted,
    )
    values = {
        "first_name": first_name(case.opened_by),
        "case_number": case.number,
        "agent_name": actor.name,
        "organization": case.organization_name,
    }
    body = _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), reply.body(language))
    return Inserted(body=body, language=language, status=Status(reply.set_status) if reply.set_status else None)


def insert_into(current: str | None, inserted: str) -> str:
    """The reply form's text with the canned reply added (after what was already written)."""
    text = (current or "").rstrip()
    return f"{text}\n\n{inserted}" if text else inserted
