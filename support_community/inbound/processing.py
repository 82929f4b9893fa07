"""What a stored mail becomes: a reply on its case, a short answer to its sender, or nothing.

``handle`` decides for one mail, inside the caller's transaction:

1. A mail a machine wrote (auto-reply, bounce, list, our own mail come back) is ignored.
2. The reply address must carry a token the community made (``addresses``); otherwise
   the sender hears the address is not valid.
3. The sender (the ``From`` address) must be the person the address was given to, as
   the community knows them (``Person``); for the agents' team address, an agent.
4. That person must still be able to act for the case's organization, or be an agent,
   asked the way a case mail asks before it is sent (``cases.emails.delivery``).
5. The text above the quoted mail, without signature, and the files (checked as web
   uploads are) become a reply: a customer's (reopening a finished case within
   ``CASE_REOPEN_DAYS``) or an agent's public one, which notifies as the page does.

Anything refused gets the short answer of ``answers``. ``process_due`` runs ``handle``
for the stored mails that are due, retrying a failure with back-off and keeping a mail
that never succeeds as failed, for agents (``community mail failed``).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import func, select

from shared.database import utcnow
from shared.errors import DomainError
from shared.metrics import count_inbound_mail
from support_community.auth import access
from support_community.cases.emails.delivery import may_still_receive
from support_community.cases.models import Case, Person
from support_community.cases.services import attachments, conversation, statuses
from support_community.extensions import db
from support_community.inbound import addresses, answers, reading
from support_community.inbound.models import InboundMessage, InboundState

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=2)
LEASE = dt.timedelta(minutes=5)

ADDED = "added"
IGNORED = "ignored"


@dataclass(frozen=True)
class Result:
    outcome: str  # ADDED, IGNORED or one of ``answers.ANSWERED``
    case_id: uuid.UUID | None = None
    why: str | None = None


def _sender(token: addresses.ReplyToken, address: str) -> Person | None:
    """The person the token was given to, if ``address`` is theirs (for a team token: an agent's)."""
    candidates = db.session.scalars(
        select(Person).where(func.lower(Person.email) == address).order_by(Person.sub)
    ).all()
    for person in candidates:
        if token.kind == addresses.TEAM:
            if access.SUPPORT_AGENT in access.roles_of(person.sub):
                return person
        elif token.issued_to(person.sub):
            return person
    return None


def _language_of(address: str) -> str | None:
    """The language of whoever the community knows at ``address`` (for a short answer), if anyone."""
    person = db.session.scalars(select(Person).where(func.lower(Person.email) == address).limit(1)).first()
    return person.locale if person is not None else None


def handle(row: InboundMessage) -> Result:
    mail = reading.parse(
        row.raw,
        envelope_sender=row.envelope_sender,
        envelope_recipients=[r for r in (row.envelope_recipients or "").split(",") if r],
    )
    row.sender = mail.sender[:320] or None
    row.subject = mail.subject[:300] or None
    why = reading.machine_sent(mail, our_domains=addresses.our_domains())
    if why is not None:
        return Result(IGNORED, why=why)
    if not mail.sender:
        return Result(IGNORED, why="no sender")

    raw_token, _ = addresses.token_in(mail.recipients)
    token = addresses.read_token(raw_token) if raw_token else None
    case = db.session.get(Case, token.case_id) if token is not None and token.intact else None
    if token is None or case is None:
        answers.answer(mail, answers.BAD_ADDRESS, locale=_language_of(mail.sender))
        return Result(answers.BAD_ADDRESS, why="no valid token")

    person = _sender(token, mail.sender)
    if person is None:
        answers.answer(mail, answers.UNKNOWN_SENDER, locale=_language_of(mail.sender))
        return Result(answers.UNKNOWN_SENDER, case.id, why="the address was not given to this sender")

    audience = {"sub": person.sub, "agent": token.kind == addresses.TEAM, "organization_id": str(case.organization_id)}
    if not may_still_receive(audience):  # asks Panda first when the community must; may commit
        answers.answer(mail, answers.NO_ACCESS, locale=person.locale, name=person.name)
        return Result(answers.NO_ACCESS, case.id, why="no longer acts for the organization")
    is_agent = access.SUPPORT_AGENT in access.roles_of(person.sub)

    with force_locale(person.locale or "en"):
        return _add_reply(mail, case, person, is_agent=is_agent)


def _add_reply(mail: reading.ReadMail, case: Case, person: Person, *, is_agent: bool) -> Result:
    text = reading.new_text(mail, languages=[person.locale or "en", *mail.languages])
    uploads = [attachments.Upload(item.filename, io.BytesIO(item.content)) for item in reading.attachments_of(mail)]
    if not is_agent and case.status in statuses.REOPENABLE and not statuses.reopen_window_open(case):
        answers.answer(mail, answers.CLOSED, locale=person.locale, name=person.name, days=statuses.reopen_days())
        return Result(answers.CLOSED, case.id, why="finished past the reopen window")
    if not text and not uploads:
        answers.answer(mail, answers.EMPTY, locale=person.locale, name=person.name)
        return Result(answers.EMPTY, case.id, why="no new text")
    try:
        with db.session.begin_nested():
            if is_agent:
                conversation.agent_reply(case, actor=person, body=text, uploads=uploads)
            else:
                if case.status in statuses.REOPENABLE:
                    conversation.reopen(case, actor=person)
                if text:
                    conversation.customer_reply(case, actor=person, body=text, uploads=uploads)
                else:
                    conversation.add_attachments(case, actor=person, uploads=uploads)
    except DomainError as error:
        answers.answer(mail, answers.REFUSED, locale=person.locale, name=person.name, detail=error.message)
        return Result(answers.REFUSED, case.id, why=error.message)
    return Result(ADDED, case.id)


# -- the worker's loop ----------------------------------------------------------------------------
def backoff(attempts: int) -> dt.timedelta:
    return min(BASE_DELAY * (2 ** min(max(attempts - 1, 0), 16)), MAX_DELAY)


def _claim() -> int | None:
    """Take the oldest due mail for a while (committed), so no other worker takes it meanwhile."""
    query = (
        select(InboundMessage)
        .where(InboundMessage.state == InboundState.PENDING, InboundMessage.next_attempt_at <= utcnow())
        .order_by(InboundMessage.next_attempt_at, InboundMessage.id)
        .limit(1)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = db.session.scalars(query).first()
    if row is None:
        db.session.rollback()
        return None
    row.attempts += 1
    row.next_attempt_at = utcnow() + LEASE
    db.session.commit()
    return row.id


def process_one() -> str | None:
    """Handle one due mail and return its outcome (``retry``/``failed``: it did not succeed); None: none is due."""
    row_id = _claim()
    if row_id is None:
        return None
    try:
        row = db.session.get_one(InboundMessage, row_id)
        result = handle(row)
        row.state = InboundState.DONE
        row.outcome = result.outcome
        row.case_id = result.case_id
        row.handled_at = utcnow()
        row.last_error = None
        db.session.commit()
        log.info("inbound mail %s: %s (%s)", row_id, result.outcome, result.why or "")
        count_inbound_mail(result.outcome)
        return result.outcome
    except Exception as error:  # the database went away, Panda could not be asked, storage failed: try again later
        db.session.rollback()
        log.warning("inbound mail %s could not be handled: %s", row_id, error, exc_info=True)
        row = db.session.get_one(InboundMessage, row_id)
        row.last_error = f"{type(error).__name__}: {error}"[:2000]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = InboundState.FAILED
            row.outcome = "failed"
            row.handled_at = utcnow()
        else:
            row.next_attempt_at = utcnow() + backoff(row.attempts)
        db.session.commit()
        outcome = "failed" if row.state == InboundState.FAILED else "retry"
        count_inbound_mail(outcome)
        return outcome


def process_due(*, limit: int = 50, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Handle up to ``limit`` due mails; returns how many were handled (whatever became of them)."""
    handled = 0
    for _ in range(limit):
        if should_stop() or process_one() is None:
            break
        handled += 1
    return handled


def next_due() -> dt.datetime | None:
    """When the next stored mail is due to be handled (in the past: one is due now); None when none waits.

    Ends the read-only transaction, so a worker that then waits does not hold one open.
    """
    try:
        return db.session.scalar(
            select(func.min(InboundMessage.next_attempt_at)).where(InboundMessage.state == InboundState.PENDING)
        )
    finally:
        db.session.rollback()


# -- what agents look at ----------------------------------------------------------------------------
def failed(limit: int = 100) -> list[InboundMessage]:
    """Mails that could never be handled, newest first."""
    return list(
        db.session.scalars(
            select(InboundMessage)
            .where(InboundMessage.state == InboundState.FAILED)
            .order_by(InboundMessage.handled_at.desc(), InboundMessage.id.desc())
            .limit(limit)
        )
    )


def retry(message_id: int) -> bool:
    """Give a failed mail a fresh set of attempts; False when there is no such failed mail."""
    row = db.session.get(InboundMessage, message_id)
    if row is None or row.state != InboundState.FAILED:
        return False
    row.state = InboundState.PENDING
    row.attempts = 0
    row.outcome = None
    row.next_attempt_at = utcnow()
    return True
