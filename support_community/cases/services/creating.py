"""Opening a case in an organization's name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from flask_babel import gettext as _

from shared.database import new_uuid, utcnow
from support_community.auth.session import OrganizationClaim
from support_community.cases import signals
from support_community.cases.emails.creating import send_case_opened
from support_community.cases.models import Case, CaseEvent, CaseMessage, MessageKind, Person, Severity, Status
from support_community.cases.services import attachments, catalog, numbering
from support_community.cases.services.errors import CaseError
from support_community.extensions import db

SUBJECT_MAX = 200
BODY_MAX = 20_000


def clean_subject(subject: str | None) -> str:
    text = " ".join((subject or "").split())
    if not text:
        raise CaseError(_("Give the case a subject."), field="subject")
    if len(text) > SUBJECT_MAX:
        raise CaseError(_("The subject can be at most %(max)s characters long.", max=SUBJECT_MAX), field="subject")
    return text


def clean_body(body: str | None, *, what: str = "description") -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise CaseError(_("Describe the problem.") if what == "description" else _("Write a message."), field=what)
    if len(text) > BODY_MAX:
        raise CaseError(_("A message can be at most %(max)s characters long.", max=BODY_MAX), field=what)
    return text


def clean_severity(severity: str | Severity | None) -> Severity:
    try:
        return Severity(severity or "")
    except ValueError:
        raise CaseError(_("Choose a severity."), field="severity") from None


def open_case(
    *,
    org: OrganizationClaim,
    actor: Person,
    product_key: str | None,
    category_id: int | None,
    severity: str | Severity | None,
    subject: str | None,
    description: str | None,
    uploads: Sequence[attachments.Upload] = (),
) -> Case:
    """Open a case for ``org``, acted by ``actor``; its description and attachments come with it.

    Everything is checked before the case number is taken, so a refused case uses
    no number, and the counter's row lock is held only for the last few statements.
    """
    product, category = catalog.choose(product_key, category_id)
    level = clean_severity(severity)
    title = clean_subject(subject)
    text = clean_body(description)
    checked = attachments.check_files(uploads)

    now = utcnow()
    case_id = new_uuid()
    message = CaseMessage(
        id=new_uuid(),
        case_id=case_id,
        author_sub=actor.sub,
        author=actor,
        kind=MessageKind.DESCRIPTION,
        body=text,
        by_agent=False,
        created_at=now,
    )
    # Files first (the slow part), the number last.
    written = attachments.write_files(checked)
    case = Case(
        id=case_id,
        number=numbering.next_case_number(now),
        organization_id=uuid.UUID(str(org.id)),
        organization_name=org.name[:300],
        product_key=product.key,
        product=product,
        category_id=category.id if category else None,
        category=category,
        severity=level,
        status=Status.NEW,
        subject=title,
        opened_by_sub=actor.sub,
        opened_by=actor,
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(message)
    db.session.add(
        CaseEvent(
            case_id=case.id,
            actor_sub=actor.sub,
            actor=actor,
            field="opened",
            old_value=None,
            new_value=Status.NEW.value,
            created_at=now,
        )
    )
    db.session.flush()
    attachments.add_rows(case.id, written, actor=actor, message=message)
    send_case_opened(case, actor=actor)
    signals.announce(signals.case_opened, case=case, actor=actor)
    return case
