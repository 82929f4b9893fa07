"""The counts of cases per organization and status (``case_status_counts``), rebuilt from the cases.

Triggers on ``cases`` keep the counts as cases are written (``models.STATUS_COUNT_TRIGGERS``);
``recount`` is for the day they were not there: a restore of the cases alone, rows written
with the triggers disabled, or a doubt. The lists read the counts in ``listing.status_totals``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text

from support_community.cases.models import Case, CaseStatusCount, Status
from support_community.extensions import db


@dataclass(frozen=True)
class RecountReport:
    organizations: int  # with at least one case
    cases: int
    corrected: int  # (organization, status) counts that were wrong before


def _kept() -> dict[tuple[uuid.UUID, Status], int]:
    rows = db.session.execute(select(CaseStatusCount.organization_id, CaseStatusCount.status, CaseStatusCount.total))
    return {(org_id, Status(status)): int(total) for org_id, status, total in rows if total}


def recount() -> RecountReport:
    """Replace every count with one counted from the cases; the caller commits.

    On PostgreSQL the cases are locked against writes (reads go on) until the commit, so no
    case opened meanwhile is counted twice or not at all; on SQLite a transaction begins
    with the write lock (``BEGIN IMMEDIATE``, ``shared.database``).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE cases IN SHARE MODE"))
    before = _kept()
    db.session.execute(delete(CaseStatusCount))
    counted = select(Case.organization_id, Case.status, func.count()).group_by(Case.organization_id, Case.status)
    db.session.execute(
        insert(CaseStatusCount).from_select(
            [CaseStatusCount.organization_id, CaseStatusCount.status, CaseStatusCount.total], counted
        )
    )
    after = _kept()
    db.session.flush()
    wrong = {key for key in before.keys() | after.keys() if before.get(key, 0) != after.get(key, 0)}
    return RecountReport(
        organizations=len({org_id for org_id, _ in after}),
        cases=sum(after.values()),
        corrected=len(wrong),
    )
