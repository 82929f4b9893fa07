"""Mails as people's mail clients write them: a reply to a case mail, with the quote below; and what to do with them.

reply_to(caught, "text", sender=...)   message(to=..., sender=..., text=...)   receive(raw)   rows()   bodies(case)
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select

from shared.database import utcnow
from support_community.cases.models import CaseMessage, MessageKind
from support_community.extensions import db
from support_community.inbound import processing
from support_community.inbound.models import InboundMessage
from support_community.inbound.receiving import store
from tests.support import CaughtMail


def message(
    *,
    to: str,
    sender: str,
    text: str | None = "Thanks, that solved it.",
    html: str | None = None,
    subject: str = "Re: your case",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    in_reply_to: str | None = None,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = make_msgid(domain="customer.example")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    for name, value in (headers or {}).items():
        mail[name] = value
    if text is not None:
        mail.set_content(text)
        if html is not None:
            mail.add_alternative(html, subtype="html")
    elif html is not None:
        mail.set_content(html, subtype="html")
    for filename, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail


def quoted(original: str) -> str:
    return "\n".join("> " + line if line else ">" for line in original.splitlines())


def reply_to(caught: CaughtMail, text: str, *, sender: str | None = None, **kwargs) -> EmailMessage:
    """What "Reply" in a mail client makes of the case mail ``caught``: the new text above the quoted mail."""
    body = f"{text}\n\nOn Fri, 4 Dec 2026 at 10:00, Support Community <support@community.localhost> wrote:\n"
    body += quoted(caught.text)
    return message(
        to=str(caught.message["Reply-To"]),
        sender=sender or caught.to,
        text=body,
        subject="Re: " + caught.subject,
        in_reply_to=str(caught.message["Message-ID"]),
        **kwargs,
    )


def receive(mail: EmailMessage | bytes, *, envelope_sender: str | None = None) -> None:
    """The mail arrives (stored as the SMTP port or the IMAP reader stores it) and is handled."""
    raw = mail if isinstance(mail, bytes) else mail.as_bytes()
    store(raw, source="smtp", envelope_sender=envelope_sender)
    db.session.commit()
    processing.process_due()


def rows() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.query(InboundMessage).order_by(InboundMessage.id))


def bodies(case) -> list[str]:
    """The replies on ``case``, oldest first."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CaseMessage.body)
            .where(CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.REPLY)
            .order_by(CaseMessage.created_at)
        )
    )
