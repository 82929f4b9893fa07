"""A person's data at the community: handed to Panda for their download, erased when their account is deleted.

Both arrive at the back-channel endpoint (``/auth/backchannel-logout``), signed by Panda
with the keys of its JWKS and meant for this client (``aud``), checked as strictly as an
access event (``docs/access-events.md``):

* **the erasure**: a ``secevent+jwt`` body whose ``typ`` is ``account-event+jwt`` and whose
  only event is ``urn:panda:event:account-deleted``. The person's name and address are
  replaced (``Person.erased_at``: every page and mail shows "Former member"), their
  follows, favourites, recent choices, organizations, queue filter, sessions and KB
  feedback go, the mails they sent are emptied; cases, messages and attachments stay with
  their organization. Answered ``202``; a repeated event (another ``jti``) changes nothing
  more; a replayed ``jti`` is refused.
* **the data request**: an ``application/jwt`` body whose ``typ`` is
  ``personal-data-request+jwt``, two minutes valid, used once. Answered ``200`` with JSON:
  the person as known here, cases they opened, their messages, attachments, case changes,
  follows, favourites and recent organizations, KB feedback.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from joserfc.errors import JoseError
from sqlalchemy import delete, func, or_, select, union, update

from shared.database import utcnow
from shared.sessions import end_sessions
from support_community.auth.access import first_sighting
from support_community.auth.models import (
    OrganizationChoice,
    PersonAccess,
    PersonOrganization,
    WebSession,
)
from support_community.auth.provider import PandaProvider, panda
from support_community.auth.tokens import CLOCK_LEEWAY, MAX_TOKEN_LENGTH
from support_community.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseFollower,
    CaseMessage,
    Person,
    QueuePreference,
)
from support_community.extensions import db
from support_community.inbound.models import InboundMessage, InboundState
from support_community.kb.models import ArticleFeedback

ACCOUNT_EVENT_TYPE = "account-event+jwt"
ACCOUNT_DELETED_EVENT = "urn:panda:event:account-deleted"
PERSONAL_DATA_REQUEST_TYPE = "personal-data-request+jwt"
PERSONAL_DATA_MEDIA_TYPE = "application/jwt"
# What lists and exports read straight from the table (the model shows a translated label).
FORMER_MEMBER = "Former member"


class PandaMessageInvalid(Exception):
    """The token is malformed, not Panda's, not for us, too old, of another kind, or seen before."""


@dataclass(frozen=True)
class PandaMessage:
    jti: str
    sub: str
    issued_at: int


def _typ(value: str) -> str:
    """The ``typ`` a token says it has (unverified: only to route it to the check that verifies it)."""
    import base64
    import json

    try:
        header = value.split(".", 1)[0]
        data = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, UnicodeError):
        return ""
    return str(data.get("typ", "")).lower().removeprefix("application/") if isinstance(data, dict) else ""


def is_account_event(value: str) -> bool:
    return _typ(value) == ACCOUNT_EVENT_TYPE


def validate(
    value: str, *, provider: PandaProvider, typ: str, event: str | None, max_age: int, now: float | None = None
) -> PandaMessage:
    """Check Panda's signature, ``typ``, ``iss``, ``aud``, ``iat``/``exp``, ``sub``, ``jti`` and (for an
    event) that ``event`` is its only event. Raises ``PandaMessageInvalid``; ``ProviderUnavailable``
    when Panda's keys cannot be fetched."""
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN_LENGTH:
        raise PandaMessageInvalid("missing or oversized token")
    try:
        token = provider.decode(value)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise PandaMessageInvalid(f"not a valid signed token: {type(exc).__name__}") from exc
    header, claims = token.header, token.claims
    if str(header.get("typ", "")).lower().removeprefix("application/") != typ:
        raise PandaMessageInvalid(f"typ is not {typ}")
    if claims.get("iss") != provider.issuer:
        raise PandaMessageInvalid("issued by someone else")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if provider.client_id not in audiences:
        raise PandaMessageInvalid("meant for another client")
    now = time.time() if now is None else now
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise PandaMessageInvalid("iat missing")
    if iat > now + CLOCK_LEEWAY:
        raise PandaMessageInvalid("issued in the future")
    if iat < now - max_age - CLOCK_LEEWAY:
        raise PandaMessageInvalid("too old")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp < now - CLOCK_LEEWAY:
        raise PandaMessageInvalid("expired or without exp")
    if "nonce" in claims:
        raise PandaMessageInvalid("carries a nonce (an ID token?)")
    events = claims.get("events")
    if event is None:
        if events is not None:
            raise PandaMessageInvalid("a request carries no events")
    elif not isinstance(events, dict) or len(events) != 1 or not isinstance(events.get(event), dict):
        raise PandaMessageInvalid(f"not a {event} event")
    sub, jti = claims.get("sub"), claims.get("jti")
    if not isinstance(sub, str) or not 0 < len(sub) <= 64:
        raise PandaMessageInvalid("sub missing")
    if not isinstance(jti, str) or not 0 < len(jti) <= 200:
        raise PandaMessageInvalid("jti missing")
    return PandaMessage(jti=jti, sub=sub, issued_at=int(iat))


def _checked(token: str, *, typ: str, event: str | None) -> PandaMessage:
    provider = panda()
    max_age = int(current_app.config["BACKCHANNEL_LOGOUT_MAX_AGE"])
    message = validate(token, provider=provider, typ=typ, event=event, max_age=max_age)
    if not first_sighting(provider.issuer, message.jti, message.issued_at, max_age):
        raise PandaMessageInvalid("jti seen before")
    return message


# -- erasure -----------------------------------------------------------------------------------------
def accept_account_deleted(token: str) -> str:
    """Act on Panda's account-deleted event: erase the person (the caller commits). Returns the ``sub``."""
    message = _checked(token, typ=ACCOUNT_EVENT_TYPE, event=ACCOUNT_DELETED_EVENT)
    erase(message.sub)
    return message.sub


def erase(sub: str) -> None:
    """Erase or anonymise what the community holds about ``sub``; the organizations' cases stay."""
    person = db.session.get(Person, sub)
    email = person.email if person is not None else ""
    name = person.stored_name if person is not None else ""
    end_sessions(db, WebSession, subject=sub)
    db.session.execute(delete(CaseFollower).where(CaseFollower.person_sub == sub))
    db.session.execute(delete(QueuePreference).where(QueuePreference.agent_sub == sub))
    db.session.execute(delete(OrganizationChoice).where(OrganizationChoice.sub == sub))
    db.session.execute(delete(PersonOrganization).where(PersonOrganization.sub == sub))
    db.session.execute(delete(PersonAccess).where(PersonAccess.sub == sub))
    db.session.execute(update(ArticleFeedback).where(ArticleFeedback.person_sub == sub).values(person_sub=None))
    if person is None:
        db.session.flush()
        return
    # Their cases go back to the queue: nobody is mailed at an erased address.
    db.session.execute(update(Case).where(Case.assignee_sub == sub).values(assignee_sub=None))
    # A case's history names an assignee by the name they had.
    if name:
        for column in (CaseEvent.old_value, CaseEvent.new_value):
            db.session.execute(update(CaseEvent).where(column == name).values({column.key: FORMER_MEMBER}))
    # Mails the person sent in (their address, their words as mailed) are emptied; what they
    # became (a message on a case) stays with the case.
    if email:
        sent = or_(
            func.lower(InboundMessage.sender) == email.lower(),
            func.lower(InboundMessage.envelope_sender) == email.lower(),
        )
        db.session.execute(
            update(InboundMessage)
            .where(sent)
            .values(raw=b"", sender=None, envelope_sender=None, subject=None, last_error=None)
        )
        db.session.execute(
            update(InboundMessage)
            .where(sent, InboundMessage.state == InboundState.PENDING)
            .values(state=InboundState.DONE, outcome="erased", handled_at=utcnow())
        )
    person.stored_name = FORMER_MEMBER
    person.email = ""
    person.notify_followed = False
    person.erased_at = person.erased_at or utcnow()
    db.session.flush()


# -- the person's data -------------------------------------------------------------------------------
def accept_data_request(token: str) -> dict[str, Any]:
    """Check Panda's request and return what the community holds about its ``sub`` (the caller commits)."""
    message = _checked(token, typ=PERSONAL_DATA_REQUEST_TYPE, event=None)
    return personal_data(message.sub)


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(sub: str) -> dict[str, Any]:
    """Everything the community holds about ``sub``, ready for JSON."""
    person = db.session.get(Person, sub)
    case_ids = union(
        select(CaseMessage.case_id).where(CaseMessage.author_sub == sub),
        select(Attachment.case_id).where(Attachment.uploaded_by_sub == sub),
        select(CaseEvent.case_id).where(CaseEvent.actor_sub == sub),
        select(CaseFollower.case_id).where(CaseFollower.person_sub == sub),
    )
    numbers = dict(db.session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids))).all())
    data: dict[str, Any] = {
        "application": "support_community",
        "sub": sub,
        "person": None,
        "cases_opened": [],
        "messages": [],
        "attachments": [],
        "case_changes": [],
        "follows": [],
        "organizations": [],
        "favourites_and_recent": [],
        "kb_feedback": [],
    }
    if person is not None:
        data["person"] = {
            "name": person.name,
            "email": person.email,
            "language": person.locale,
            "support_agent": person.is_agent,
            "mails_about_followed_cases": person.notify_followed,
            "last_seen_at": _when(person.last_seen_at),
        }
        data["cases_opened"] = [
            {
                "number": case.number,
                "organization": {"id": str(case.organization_id), "name": case.organization_name},
                "subject": case.subject,
                "status": case.status.value,
                "severity": case.severity.value,
                "opened_at": _when(case.created_at),
            }
            for case in db.session.execute(
                select(Case).where(Case.opened_by_sub == sub).order_by(Case.created_at)
            ).scalars()
        ]
        data["messages"] = [
            {
                "case": numbers.get(message.case_id),
                "kind": message.kind.value,
                "body": message.body,
                "written_at": _when(message.created_at),
            }
            for message in db.session.execute(
                select(CaseMessage).where(CaseMessage.author_sub == sub).order_by(CaseMessage.created_at)
            ).scalars()
        ]
        data["attachments"] = [
            {
                "case": numbers.get(item.case_id),
                "filename": item.filename,
                "content_type": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
                "uploaded_at": _when(item.created_at),
            }
            for item in db.session.execute(
                select(Attachment).where(Attachment.uploaded_by_sub == sub).order_by(Attachment.created_at)
            ).scalars()
        ]
        data["case_changes"] = [
            {
                "case": numbers.get(event.case_id),
                "field": event.field,
                "from": event.old_value,
                "to": event.new_value,
                "at": _when(event.created_at),
            }
            for event in db.session.execute(
                select(CaseEvent).where(CaseEvent.actor_sub == sub).order_by(CaseEvent.created_at)
            ).scalars()
        ]
        data["follows"] = [
            {"case": numbers.get(row.case_id), "since": _when(row.created_at)}
            for row in db.session.execute(
                select(CaseFollower).where(CaseFollower.person_sub == sub).order_by(CaseFollower.created_at)
            ).scalars()
        ]
    data["organizations"] = [
        {"id": str(row.organization_id), "name": row.name, "role": row.role}
        for row in db.session.execute(
            select(PersonOrganization).where(PersonOrganization.sub == sub).order_by(PersonOrganization.name)
        ).scalars()
    ]
    data["favourites_and_recent"] = [
        {
            "organization_id": str(row.organization_id),
            "favourite": row.favourite,
            "last_chosen_at": _when(row.last_used_at),
        }
        for row in db.session.execute(select(OrganizationChoice).where(OrganizationChoice.sub == sub)).scalars()
    ]
    data["kb_feedback"] = [
        {
            "article_id": str(row.article_id),
            "language": row.language,
            "kind": row.kind.value,
            "at": _when(row.created_at),
        }
        for row in db.session.execute(
            select(ArticleFeedback).where(ArticleFeedback.person_sub == sub).order_by(ArticleFeedback.created_at)
        ).scalars()
    ]
    return data
