"""The agents' queue: every organization's cases, filtered, counted per status, paged.

Agents work across organizations: nothing here filters by the token's ``orgs``.
Who counts as an agent is decided by the token's ``roles`` at the route (see
``support_community.permissions``); these functions trust their caller on that.
The filters an agent chose last are remembered (``QueuePreference``) and the
queue opens on them again, also after signing out; at first it opens on the
"unassigned and mine" view. Named views (``VIEWS``) are one click away, each with
its count (``view_counts``: one query). A search (``q``) looks at the case number,
the subject, the whole conversation (internal notes too: agents see them) and the
organization's name; it is not remembered.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, union
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError

from support_community.cases.labels import SEVERITY_ORDER
from support_community.cases.models import (
    OPEN_STATUSES,
    SEARCH_CONFIGURATION,
    Case,
    CaseMessage,
    Person,
    QueuePreference,
    Severity,
    Status,
    search_vector,
)
from support_community.extensions import db

PER_PAGE = 25
STATUS_KEYWORDS = ("open", "all")
SORTS = ("activity", "severity")
FILTER_NAMES = ("status", "severity", "product", "organization", "assignee", "sort", "q")
QUERY_MAX = 200
# Searching for more words than this finds nothing more useful, and costs a condition each (SQLite).
SEARCH_WORDS_MAX = 8
_NUMBER = re.compile(r"^CS-\d{4}-\d{1,9}$", re.IGNORECASE)


@dataclass(frozen=True)
class QueueFilters:
    """A choice of cases in the queue. The default is "my open cases"."""

    status: str = "open"  # "open", "all" or a status
    severity: str = ""  # "" (any) or a severity
    product: str = ""  # "" (any) or a product key
    organization: str = ""  # part of the organization's name, or its id
    assignee: str = "me"  # "me", "me_or_unassigned", "unassigned", "any" or an agent's sub
    sort: str = "activity"  # "activity" (latest first) or "severity" (highest first)
    q: str = ""  # a search: number, subject, conversation, organization

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
            q=" ".join(text("q", QUERY_MAX).split()),
        )

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def is_my_open_cases(self) -> bool:
        return self == QueueFilters()

    @property
    def view(self) -> str | None:
        """The name of the view these filters are (whatever the sort), if any."""
        for name, filters in VIEWS.items():
            if replace(self, sort=filters.sort) == filters:
                return name
        return None


# The queue's views, in the order the page shows them; the first is where the queue opens at first.
VIEWS: dict[str, QueueFilters] = {
    "inbox": QueueFilters(assignee="me_or_unassigned"),
    "unassigned": QueueFilters(assignee="unassigned"),
    "mine": QueueFilters(),
    "waiting": QueueFilters(status=Status.WAITING_FOR_CUSTOMER.value, assignee="any"),
    "open": QueueFilters(assignee="any"),
}
FIRST_VIEW = "inbox"


def view_counts(agent: Person) -> dict[str, int]:
    """How many cases each view holds: one aggregate over the open cases.

    The open cases are found through the index on (status, last activity), so the work
    follows the number of open cases, not of every case ever closed.
    """
    unassigned, mine, waiting, every_open = db.session.execute(
        select(
            func.count().filter(Case.assignee_sub.is_(None)),
            func.count().filter(Case.assignee_sub == agent.sub),
            func.count().filter(Case.status == Status.WAITING_FOR_CUSTOMER),
            func.count(),
        ).where(Case.status.in_(OPEN_STATUSES))
    ).one()
    return {
        "inbox": unassigned + mine,
        "unassigned": unassigned,
        "mine": mine,
        "waiting": waiting,
        "open": every_open,
    }


def has_filter_arguments(args: Mapping[str, object]) -> bool:
    return any(name in args for name in FILTER_NAMES)


def choose_filters(agent: Person, args: Mapping[str, object]) -> QueueFilters:
    """The queue's filters for this visit, remembered for the next one (also after signing out).

    ``view=<name>`` asks for one of ``VIEWS``; filters in ``args`` are a new choice;
    without either, the agent's last choice (at first: "unassigned and mine"). A search
    is not a choice to come back to: with ``q`` nothing is remembered.
    """
    preference = db.session.get(QueuePreference, agent.sub)
    view = args.get("view")
    if isinstance(view, str) and view in VIEWS:
        filters = VIEWS[view]
    elif has_filter_arguments(args):
        filters = QueueFilters.parse(args)
    elif preference is not None:
        filters = QueueFilters.parse(preference.filters or {})
    else:
        filters = VIEWS[FIRST_VIEW]
    if not filters.q:
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
    elif filters.assignee == "me_or_unassigned":
        query = query.where(or_(Case.assignee_sub == agent.sub, Case.assignee_sub.is_(None)))
    elif filters.assignee == "unassigned":
        query = query.where(Case.assignee_sub.is_(None))
    elif filters.assignee != "any":
        query = query.where(Case.assignee_sub == filters.assignee)
    if filters.q:
        query = query.where(search_condition(filters.q))
    return query


def _like_pattern(term: str) -> str:
    return "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_condition(q: str) -> ColumnElement[bool]:
    """The cases an agent's search finds: by number, subject, any message (internal notes too) or organization.

    A whole case number finds that case only. Otherwise a case is found when its subject or
    one of its messages holds every word (PostgreSQL: the full-text indexes of the subject and
    of the messages; SQLite: ``LIKE``), or when the organization's name contains the text.
    """
    q = " ".join(q.split())[:QUERY_MAX]
    if _NUMBER.match(q):
        return Case.number == q.upper()
    in_organization = func.lower(Case.organization_name).like(_like_pattern(q), escape="\\")
    if db.session.get_bind().dialect.name == "postgresql":
        query = func.websearch_to_tsquery(SEARCH_CONFIGURATION, bindparam("agent_search", q))
        subject_hits = select(Case.id).where(search_vector(Case.subject).op("@@")(query))
        message_hits = select(CaseMessage.case_id).where(search_vector(CaseMessage.body).op("@@")(query))
        return or_(Case.id.in_(union(subject_hits, message_hits)), in_organization)
    patterns = [_like_pattern(word) for word in q.replace('"', " ").split()[:SEARCH_WORDS_MAX]]
    if not patterns:
        return in_organization
    in_subject = and_(*(func.lower(Case.subject).like(p, escape="\\") for p in patterns))
    in_a_message = Case.id.in_(
        select(CaseMessage.case_id).where(*(func.lower(CaseMessage.body).like(p, escape="\\") for p in patterns))
    )
    return or_(in_subject, in_a_message, in_organization)


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
