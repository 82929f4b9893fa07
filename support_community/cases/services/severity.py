"""How urgent a case is: agents change its severity, and the history keeps each change."""

from __future__ import annotations

from shared.database import utcnow
from support_community.cases.models import Case, CaseEvent, Person, Severity
from support_community.extensions import db


def change_severity(case: Case, severity: Severity | str, *, actor: Person) -> CaseEvent | None:
    """Set how urgent the case is; records history. Returns None when nothing changes."""
    severity = Severity(severity)
    if case.severity == severity:
        return None
    event = CaseEvent(
        case_id=case.id,
        actor_sub=actor.sub,
        actor=actor,
        field="severity",
        old_value=case.severity.value,
        new_value=severity.value,
        created_at=utcnow(),
    )
    case.severity = severity
    db.session.add(event)
    db.session.flush()
    return event
