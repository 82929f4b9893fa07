"""The short answer to a mail that could not be added to a case: what went wrong and what to do, nothing more.

It never names the case, its subject, its organization or anything written on it:
whoever sent the mail may be a stranger holding a forwarded address. It goes through
the outbox like every mail, marked as an automatic answer (RFC 3834), in the sender's
language, and at most ``ANSWERS_PER_HOUR`` times an hour to one address, so a forged
sender cannot turn the community into a mail cannon.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from shared.database import utcnow
from shared.i18n import LANGUAGES
from shared.outbox.rendering import queue_mail
from support_community.extensions import db
from support_community.inbound.models import InboundMessage
from support_community.inbound.reading import ReadMail
from support_community.outbox.services import outbox

ANSWERS_PER_HOUR = 5

UNKNOWN_SENDER = "unknown_sender"
NO_ACCESS = "no_access"
CLOSED = "closed"
BAD_ADDRESS = "bad_address"
REFUSED = "refused"
EMPTY = "empty"
# What became of a mail that was answered (``InboundMessage.outcome``).
ANSWERED = (UNKNOWN_SENDER, NO_ACCESS, CLOSED, BAD_ADDRESS, REFUSED, EMPTY)


def _texts(reason: str, *, days: int | None, detail: str | None) -> tuple[LazyString | str, LazyString | str]:
    if reason == UNKNOWN_SENDER:
        return (
            _l(
                "We received your e-mail, but could not add it to a case: it was sent from an address that this "
                "reply address was not given to."
            ),
            _l(
                "Reply from the address that received our e-mail, or sign in to the Support Community and reply "
                "on the case's page."
            ),
        )
    if reason == NO_ACCESS:
        return (
            _l(
                "We received your e-mail, but could not add it to the case: you can no longer act for the "
                "organization the case belongs to."
            ),
            _l("Ask an administrator of that organization to give you access in Panda, then try again."),
        )
    if reason == CLOSED:
        return (
            _l(
                "We received your e-mail, but could not add it to the case: the case was finished more than "
                "%(days)s days ago and can no longer be reopened.",
                days=days or 0,
            ),
            _l("Please open a new case in the Support Community."),
        )
    if reason == REFUSED:
        return (
            _l("We received your e-mail, but could not add it to the case: %(reason)s", reason=detail or ""),
            _l("Correct this and send your reply again, or reply on the case's page in the Support Community."),
        )
    if reason == EMPTY:
        return (
            _l(
                "We received your e-mail, but could not add it to the case: we found no text of yours in it, only "
                "quoted text or a signature."
            ),
            _l("Write your answer above the quoted e-mail and send it again."),
        )
    return (
        _l(
            "We received your e-mail, but could not tell which case it is about: the address it was sent to is "
            "not a valid reply address."
        ),
        _l(
            "Reply to one of our e-mails about your case, or sign in to the Support Community and write on the "
            "case's page."
        ),
    )


def _answered_lately(address: str) -> int:
    since = utcnow() - dt.timedelta(hours=1)
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(
                InboundMessage.sender == address,
                InboundMessage.outcome.in_(ANSWERED),
                InboundMessage.handled_at >= since,
            )
        )
        or 0
    )


def answer(
    mail: ReadMail,
    reason: str,
    *,
    locale: str | None,
    name: str | None = None,
    days: int | None = None,
    detail: str | None = None,
) -> bool:
    """Queue the short answer to ``mail``'s sender; False when it was not sent (no sender, answered enough)."""
    if not mail.sender or _answered_lately(mail.sender) >= ANSWERS_PER_HOUR:
        return False
    language = locale if locale in LANGUAGES else next(iter(mail.languages), "en")
    what, advice = _texts(reason, days=days, detail=detail)
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if mail.message_id:
        headers["In-Reply-To"] = mail.message_id
        headers["References"] = mail.message_id
    queue_mail(
        outbox,
        "inbound_not_added",
        to=mail.sender,
        locale=language,
        headers=headers,
        recipient=name,
        what=what,
        advice=advice,
    )
    return True
