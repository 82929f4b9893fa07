"""The agents' queue: every organization's cases, filtered, counted per status, paged.

Agents work across organizations: nothing here filters by the token's ``orgs``.
Who counts as an agent is decided by the token's ``roles`` at the route (see
``support_community.permissions``); these functions trust their caller on that.
The filters an agent chose last are remembered (``QueuePreference``) and the
queue opens on them again, also after signing out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError

from support_community.cases.labels import SEVERITY_ORDER
from support_community.cases.models import OPEN_STATUSES, Case, Person, QueuePreference, Severity, Status
from support_community.extensions import db

PER_PAGE = 25
STATUS_KEYWORDS = ("open", "all")
SORTS = ("activity", "severity")
FILTER_NAMES = ("status", "severity", "product", "organization", "assignee", "sort")


@dataclass(frozen=True)
class QueueFilters:
    """A choice of cases in the queue. The default is "my open cases"."""

    status: str = "open"  # "open", "all" or a status
    severity: str = ""  # "" (any) or a severity
    product: str = ""  # "" (any) or a product key
    organization: str = ""  # part of the organization's name, or its id
    assignee: str = "me"  # "me", "unassigned", "any" or an agent's sub
    sort: str = "activity"  # "activity" (latest first) or "severity" (highest first)

    @classmethod
    def parse(cls, values: Mapping[str, object]) -> QueueFilters:
        """Filters from a query string or a stored preference; anything unknown falls back to the default."""
        default = cls()

        def text(name: str, limit: int = 200) -> str:
            value = values.get(name)
            return value.strip()[:limit] if isinstance(value, str) else getattr(default, name)

        status = text("status")
        if status not in STATUS_KEYWORDS and status not in {s.value for s in Status}:
            status = default.status
        severity = text("severity")
        if severity and severity not in {s.value for s in Severity}:
            severity = default.severity
        assignee = text("assignee", 64) or default.assignee
        sort = text("sort")
        if sort not in SORTS:
            sort = default.sort
        return cls(
            status=status,
            severity=severity,
            product=text("product", 64),
            organization=text("organization"),
            assignee=assignee,
            sort=sort,
        )

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def is_my_open_cases(self) -> bool:
        return self == QueueFilters()


def has_filter_arguments(args: Mapping[str, object]) -> bool:
    return any(name in args for name in FILTER_NAMES)


def choose_filters(agent: Person, args: Mapping[str, object]) -> QueueFilters:
    """The queue's filters for this visit, remembered for the next one (also after signing out).

    ``view=mine`` asks for "my open cases"; filters in ``args`` are a new choice;
    without either, the agent's last choice (at first: "my open cases").
    """
    preference = db.session.get(QueuePreference, agent.sub)
    if args.get("view") == "mine":
        filters = QueueFilters()
    elif has_filter_arguments(args):
        filters = QueueFilters.parse(args)
    elif preference is not None:
        filters = QueueFilters.parse(preference.filters or {})
    else:
        filters = QueueFilters()
    _remember(agent, preference, filters)
    return filters


def _remember(agent: Person, preference: QueuePreference | None, filters: QueueFilters) -> None:
    wanted = filters.as_dict()
    if preference is not None:
        if preference.filters != wanted:
            preference.filters = wanted
            db.session.flush()
        return
    try:
        # Two tabs of the same agent may save at the same moment: the second one updates.
        with db.session.begin_nested():
            db.session.add(QueuePreference(agent_sub=agent.sub, filters=wanted))
    except IntegrityError:
        preference = db.session.get(QueuePreference, agent.sub, populate_existing=True)
        if preference is not None:
            preference.filters = wanted
            db.session.flush()


@dataclass
class QueuePage:
    filters: QueueFilters
    cases: list[Case]
    counts: dict[Status, int]  # per status, under every filter but the status
    total: int  # cases matching every filter
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.per_page))

    @property
    def open_count(self) -> int:
        return sum(self.counts.get(status, 0) for status in OPEN_STATUSES)

    @property
    def all_count(self) -> int:
        return sum(self.counts.values())


def _organization_condition(text: str) -> ColumnElement[bool]:
    try:
        return Case.organization_id == uuid.UUID(text)
    except ValueError:
        escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return func.lower(Case.organization_name).like(f"%{escaped}%", escape="\\")


def _filtered(query: Select, filters: QueueFilters, *, agent: Person) -> Select:
    """Every filter except the status (the counts per status show all of them)."""
    if filters.severity:
        query = query.where(Case.severity == Severity(filters.severity))
    if filters.product:
        query = query.where(Case.product_key == filters.product)
    if filters.organization:
        query = query.where(_organization_condition(filters.organization))
    if filters.assignee == "me":
        query = query.where(Case.assignee_sub == agent.sub)
    elif filters.assignee == "unassigned":
        query = query.where(Case.assignee_sub.is_(None))
    elif filters.assignee != "any":
        query = query.where(Case.assignee_sub == filters.assignee)
    return query


def _statuses(filters: QueueFilters) -> tuple[Status, ...]:
    if filters.status == "open":
        return OPEN_STATUSES
    if filters.status == "all":
        return tuple(Status)
    return (Status(filters.status),)


def queue(filters: QueueFilters, *, agent: Person, page: int = 1, per_page: int = PER_PAGE) -> QueuePage:
    """One page of the queue and the counts per status: two queries, however many cases or organizations."""
    count_rows = db.session.execute(
        _filtered(select(Case.status, func.count()).select_from(Case), filters, agent=agent).group_by(Case.status)
    ).all()
    counts = {Status(status): number for status, number in count_rows}
    statuses = _statuses(filters)
    total = sum(counts.get(status, 0) for status in statuses)
    page = max(1, page)
    pages = max(1, -(-total // per_page))
    page = min(page, pages)

    query = _filtered(select(Case), filters, agent=agent)
    if filters.status != "all":
        query = query.where(Case.status.in_(statuses))
    if filters.sort == "severity":
        rank = sql_case(
            {severity.value: index for index, severity in enumerate(SEVERITY_ORDER)},
            value=Case.severity,
            else_=len(SEVERITY_ORDER),
        )
        query = query.order_by(rank, Case.last_activity_at.desc(), Case.id)
    else:
        query = query.order_by(Case.last_activity_at.desc(), Case.id)
    cases = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return QueuePage(filters=filters, cases=cases, counts=counts, total=total, page=page, per_page=per_page)
