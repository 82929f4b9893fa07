"""What the API views share: the acting person, domain errors as problems, cases as the schemas show them."""

from __future__ import annotations

from collections.abc import Iterable

from flask import abort, url_for
from sqlalchemy.dialects import postgresql, sqlite

from shared.api import ApiProblem, etag_of
from shared.database import utcnow
from shared.errors import DomainError
from support_community.api import schemas
from support_community.api.tokens import ApiPerson
from support_community.auth.session import signed_in_user
from support_community.cases.models import Attachment, Case, CaseEvent, CaseMessage, Person
from support_community.cases.services.people import person_for
from support_community.extensions import db

# Form fields of the services' errors, as the API's bodies name them.
FIELDS = {"category": "category_id", "attachments": "files"}


def acting_person() -> Person:
    """The caller's ``Person`` row: the person's (refreshed as the pages do), or the integration's own."""
    user = signed_in_user()
    if isinstance(user, ApiPerson) and user.integration:
        return integration_person(user.sub, user.name)
    return person_for(user)


def integration_person(sub: str, client_id: str) -> Person:
    """The account a client acting for itself works under; not an agent one assigns cases to."""
    person = db.session.get(Person, sub)
    if person is None:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(
            insert(Person)
            .values(
                sub=sub,
                name=f"{client_id} (integration)"[:200],  # a name, kept as is whatever the caller's language
                email="",
                locale="en",
                is_agent=False,
                notify_followed=False,
                last_seen_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["sub"])
        )
        person = db.session.get(Person, sub)
        assert person is not None
    return person


def refused(error: DomainError, *, status: int = 422) -> ApiProblem:
    """A service's refusal as a problem: 422 naming the field when it names one, else ``status``."""
    db.session.rollback()
    if error.field:
        return ApiProblem(
            422,
            str(error.message),
            errors=[{"field": FIELDS.get(error.field, error.field), "message": str(error.message)}],
        )
    return ApiProblem(status, str(error.message))


def case_etag(case: Case) -> str:
    return etag_of(
        case.id,
        case.status.value,
        case.severity.value,
        case.assignee_sub,
        case.last_activity_at.isoformat(),
        case.solved_at.isoformat() if case.solved_at else "",
        case.closed_at.isoformat() if case.closed_at else "",
    )


def found(value: object | None) -> object:
    if value is None:
        abort(404)
    return value


def person_ref(person: Person) -> schemas.PersonRef:
    return schemas.PersonRef(sub=person.sub, name=person.name)


def _summary_fields(case: Case, url: str) -> dict:
    return {
        "id": case.id,
        "number": case.number,
        "organization_id": case.organization_id,
        "organization_name": case.organization_name,
        "subject": case.subject,
        "status": case.status,
        "severity": case.severity,
        "product": case.product_key,
        "category_id": case.category_id,
        "opened_by": person_ref(case.opened_by),
        "created_at": case.created_at,
        "last_activity_at": case.last_activity_at,
        "url": url,
    }


def case_url(case: Case) -> str:
    return url_for("api.case_detail", org_id=case.organization_id, case_id=case.id, _external=True)


def agent_case_url(case: Case) -> str:
    return url_for("api.agent_case_detail", case_id=case.id, _external=True)


def case_summary(case: Case) -> schemas.CaseSummary:
    return schemas.CaseSummary(**_summary_fields(case, case_url(case)))


def agent_case_summary(case: Case) -> schemas.AgentCaseSummary:
    return schemas.AgentCaseSummary(
        **_summary_fields(case, agent_case_url(case)),
        assignee=person_ref(case.assignee) if case.assignee is not None else None,
        next_due_at=case.next_due_at,
    )


def attachment_out(item: Attachment, *, agent: bool = False) -> schemas.AttachmentOut:
    if agent:
        link = url_for("api.agent_attachment", case_id=item.case_id, attachment_id=item.id, _external=True)
    else:
        case = db.session.get(Case, item.case_id)
        assert case is not None
        link = url_for(
            "api.download", org_id=case.organization_id, case_id=item.case_id, attachment_id=item.id, _external=True
        )
    return schemas.AttachmentOut(
        id=item.id,
        filename=item.filename,
        content_type=item.content_type,
        size=item.size,
        created_at=item.created_at,
        internal=item.is_internal,
        download_url=link,
    )


def message_out(message: CaseMessage, files: Iterable[Attachment], *, agent: bool = False) -> schemas.MessageOut:
    return schemas.MessageOut(
        id=message.id,
        kind=message.kind.value,
        body=message.body,
        author=person_ref(message.author),
        by_agent=message.by_agent,
        created_at=message.created_at,
        attachments=[attachment_out(item, agent=agent) for item in files],
    )


def event_out(event: CaseEvent) -> schemas.EventOut:
    return schemas.EventOut(
        field=event.field,
        old_value=event.old_value,
        new_value=event.new_value,
        actor=person_ref(event.actor),
        created_at=event.created_at,
    )
