"""The agents' queue: every organization's cases, filtered, counted per status, paged.

Agents work across organizations: nothing here filters by the token's ``orgs``.
Who counts as an agent is decided by the token's ``roles`` at the route (see
``support_community.permissions``); these functions trust their caller on that.
The filters an agent chose last are remembered (``QueuePreference``) and the
queue opens on them again, also after signing out; at first it opens on the
"unassigned and mine" view. Named views (``VIEWS``) are one click away, each with
its count (``view_counts``). A search (``q``) looks at the case number, the subject,
the whole conversation (internal notes too: agents see them) and the organization's
name; it is not remembered.

Nothing here counts every open case: the counts per assignee and status are kept by the
database (``case_queue_counts``), and the others stop at ``COUNT_LIMIT`` and say so.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    delete,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.exc import IntegrityError

from support_community.cases.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    Case,
    CaseQueueCount,
    Person,
    QueuePreference,
    Severity,
    Status,
)
from support_community.cases.search_index import join_matching, matching_cases
from support_community.cases.services import sla
from support_community.extensions import db

PER_PAGE = 25
STATUS_KEYWORDS = ("open", "all")
SORTS = ("activity", "severity", "due")
FILTER_NAMES = ("status", "severity", "product", "organization", "assignee", "sort", "q", "sla")
QUERY_MAX = 200
# Counts the database does not keep (a filter besides the assignee, a search, the SLA) stop here.
COUNT_LIMIT = 1_000
# From this many cases on, SQLite walks the index of the queue's order (see ``queue``).
WALK_FROM = 2_000
_NUMBER = re.compile(r"^CS-\d{4}-\d{1,9}$", re.IGNORECASE)


@dataclass(frozen=True)
class QueueFilters:
    """A choice of cases in the queue. The default is "my open cases"."""

    status: str = "open"  # "open", "all" or a status
    severity: str = ""  # "" (any) or a severity
    product: str = ""  # "" (any) or a product key
    organization: str = ""  # part of the organization's name, or its id
    assignee: str = "me"  # "me", "me_or_unassigned", "unassigned", "any" or an agent's sub
    sort: str = "activity"  # "activity" (latest first), "severity" (highest first) or "due" (soonest first)
    q: str = ""  # a search: number, subject, conversation, organization
    sla: str = ""  # "" (any) or "breaching" (overdue or due soon: ``sla.breaching_condition``)

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
            sla="breaching" if text("sla") == "breaching" else "",
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
    "breaching": QueueFilters(assignee="any", sla="breaching", sort="due"),
    "open": QueueFilters(assignee="any"),
}
FIRST_VIEW = "inbox"
# The views counted up to ``COUNT_LIMIT`` (the others' counts are kept by the database, exact).
CAPPED_VIEWS = frozenset({"breaching"})


def view_counts(agent: Person) -> dict[str, int]:
    """How many cases each view holds, without reading the cases.

    The views by assignee and status read the counts the database keeps per assignee and status
    (``case_queue_counts``, exact: the triggers count in each writer's transaction); the
    "breaching SLA" view depends on the clock, so its cases are counted from the due times'
    index up to ``COUNT_LIMIT`` (one more means "more than that").
    """
    kept = _kept_counts(OPEN_STATUSES)
    unassigned = sum(kept.get(("", status), 0) for status in OPEN_STATUSES)
    mine = sum(kept.get((agent.sub, status), 0) for status in OPEN_STATUSES)
    waiting = sum(total for (_, status), total in kept.items() if status == Status.WAITING_FOR_CUSTOMER)
    every_open = sum(kept.values())
    breaching = _capped_count(select(Case.id).where(sla.breaching_condition()))
    return {
        "inbox": unassigned + mine,
        "unassigned": unassigned,
        "mine": mine,
        "waiting": waiting,
        "breaching": breaching,
        "open": every_open,
    }


def is_capped(count: int) -> bool:
    """A count of ``CAPPED_VIEWS`` stopped at ``COUNT_LIMIT``: the page shows "1,000+"."""
    return count > COUNT_LIMIT


def _kept_counts(statuses: tuple[Status, ...] | None = None) -> dict[tuple[str, Status], int]:
    """The kept counts per (assignee, status); ``""`` is nobody."""
    query = select(CaseQueueCount.assignee_sub, CaseQueueCount.status, CaseQueueCount.total)
    if statuses is not None:
        query = query.where(CaseQueueCount.status.in_(statuses))
    rows = db.session.execute(query).all()
    return {(assignee, Status(status)): int(total) for assignee, status, total in rows if total}


def _capped_count(query: Select) -> int:
    """How many rows ``query`` finds, up to one more than ``COUNT_LIMIT``."""
    return db.session.scalar(select(func.count()).select_from(query.limit(COUNT_LIMIT + 1).subquery())) or 0


def recount() -> int:
    """Rebuild ``case_queue_counts`` from the cases (written with the triggers off, say); the caller commits.

    Returns how many (assignee, status) counts were wrong. On PostgreSQL the cases are locked
    against writes until the commit, so no case written meanwhile is missed or counted twice.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE cases IN SHARE MODE"))
    before = _kept_counts()
    assignee = func.coalesce(Case.assignee_sub, "")
    db.session.execute(delete(CaseQueueCount))
    db.session.execute(
        insert(CaseQueueCount).from_select(
            [CaseQueueCount.assignee_sub, CaseQueueCount.status, CaseQueueCount.total],
            select(assignee, Case.status, func.count()).group_by(assignee, Case.status),
        )
    )
    after = _kept_counts()
    return sum(1 for key in before.keys() | after.keys() if before.get(key, 0) != after.get(key, 0))


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
    counts: dict[Status, int]  # per status, under every filter but the status (at least these when ``capped``)
    total: int  # cases matching every filter
    page: int
    per_page: int
    pages: int = field(init=False)
    capped: bool = False  # counting stopped after ``COUNT_LIMIT`` cases: the counts and the total are lower bounds

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.per_page))

    @property
    def open_count(self) -> int:
        return sum(self.counts.get(status, 0) for status in OPEN_STATUSES)

    @property
    def all_count(self) -> int:
        return sum(self.counts.values())


def _organization_condition(text: str) -> ColumnElement[bool]:
    """The cases of the organization with this id, or of the organizations whose name, customer number or
    enterprise number the text finds, as the switcher and the search find them (the organizations
    people act for, ``person_organizations``): looked up there, then their cases through their index,
    where a part of the name in every case's own copy was a reading of every case (130 ms at a million)."""
    try:
        return Case.organization_id == uuid.UUID(text)
    except ValueError:
        side = _organizations_side(text)
        return side if side is not None else false()


def _by_due_time(filters: QueueFilters) -> bool:
    """Whether SQLite is to find the cases through ``ix_cases_queue_due`` (the breaching view's: those due soon).

    Without statistics SQLite starts from the status', the assignee's or the order's index instead:
    every open case, 380 ms at a million cases for a view of none. The status and the assignee are
    then checked on the way (``+cases.status``), and the due time said to hold for few cases.
    """
    return filters.sla == "breaching" and db.session.get_bind().dialect.name == "sqlite"


def _conditions(filters: QueueFilters, *, agent: Person, walk: bool = False) -> list[ColumnElement[bool]]:
    walk = walk or _by_due_time(filters)
    conditions: list[ColumnElement[bool]] = []
    if filters.severity:
        conditions.append(Case.severity == Severity(filters.severity))
    if filters.product:
        conditions.append(_column(Case.product_key, walk) == filters.product)
    if filters.organization:
        conditions.append(_organization_condition(filters.organization))
    conditions.extend(_assignee_conditions(filters, agent=agent, walk=walk))
    if filters.q:
        # Walking the order, SQLite checks each case's document rather than reading every case found.
        conditions.append(_search_condition(filters.q, per_case=walk))
    if _by_due_time(filters):
        due = bindparam("breaching_from", sla.soon_threshold(), type_=Case.next_due_at.type)
        likely = text("likelihood(cases.next_due_at <= :breaching_from, 0.001)").bindparams(due)
        conditions.append(cast(ColumnElement[bool], likely))  # a condition written as SQLite's text
    elif filters.sla == "breaching":
        conditions.append(sla.breaching_condition())
    return conditions


def _condition_sets(filters: QueueFilters, *, agent: Person, walk: bool = False) -> list[list[ColumnElement[bool]]]:
    """The cases the filters find, as one list of conditions per side of the search.

    On PostgreSQL a search that finds organizations too (by name or number) is two sides: the
    cases whose document holds the words, and the cases of those organizations. Each side then
    stops at its own limit (the words' index for the one, the organizations' cases for the other),
    where "either of them" in one condition would gather every case the words find first.
    """
    if not filters.q or db.session.get_bind().dialect.name != "postgresql":
        return [_conditions(filters, agent=agent, walk=walk)]
    others = _conditions(replace(filters, q=""), agent=agent, walk=walk)
    return [[*others, side] for side in _search_sides(filters.q)]


def _assignee_conditions(filters: QueueFilters, *, agent: Person, walk: bool = False) -> list[ColumnElement[bool]]:
    assignee = _column(Case.assignee_sub, walk)
    if filters.assignee == "me":
        return [assignee == agent.sub]
    if filters.assignee == "me_or_unassigned":
        return [or_(assignee == agent.sub, assignee.is_(None))]
    if filters.assignee == "unassigned":
        return [assignee.is_(None)]
    if filters.assignee != "any":
        return [assignee == filters.assignee]
    return []


def _assignee_keys(filters: QueueFilters, *, agent: Person) -> tuple[str, ...] | None:
    """The assignees of ``case_queue_counts`` the filter takes (None: all of them)."""
    if filters.assignee == "me":
        return (agent.sub,)
    if filters.assignee == "me_or_unassigned":
        return (agent.sub, "")
    if filters.assignee == "unassigned":
        return ("",)
    if filters.assignee == "any":
        return None
    return (filters.assignee,)


def _status_counts(filters: QueueFilters, *, agent: Person) -> tuple[dict[Status, int], bool]:
    """The cases per status under every filter but the status, and whether they are lower bounds.

    With the assignee as the only filter (every view but "breaching SLA"): the kept counts,
    exact. With any other filter or a search: counted among the first ``COUNT_LIMIT`` + 1 cases
    found, in one statement; finding more makes each count "at least" (and the total "more than").
    """
    if not (filters.severity or filters.product or filters.organization or filters.q or filters.sla):
        keys = _assignee_keys(filters, agent=agent)
        counts: dict[Status, int] = {}
        for (assignee, status), total in _kept_counts().items():
            if keys is None or assignee in keys:
                counts[status] = counts.get(status, 0) + total
        return counts, False
    sides = _counted_sides(filters, agent=agent)
    if len(sides) == 1:
        found = sides[0].with_only_columns(Case.status).limit(COUNT_LIMIT + 1).subquery()
    else:
        # Each side's first cases (a case on both sides once), then the first of those.
        firsts = [side.limit(COUNT_LIMIT + 1).subquery() for side in sides]
        either = union(*(select(first.c.id, first.c.status) for first in firsts)).subquery()
        found = select(either.c.status).limit(COUNT_LIMIT + 1).subquery()
    rows = db.session.execute(select(found.c.status, func.count()).group_by(found.c.status)).all()
    counts = {Status(status): int(number) for status, number in rows}
    return counts, sum(counts.values()) > COUNT_LIMIT


def _counted_sides(filters: QueueFilters, *, agent: Person) -> list[Select]:
    """``(id, status)`` of the cases the filters find, one SELECT per side of the search (unlimited).

    On SQLite the words' side is driven from the full-text index (``join_matching``): counting
    the first ``COUNT_LIMIT`` cases that hold a common word then reads that many, where "the
    words or the organization" in one condition reads every case (300 ms at a million cases).
    """
    words = join_matching(select(Case.id, Case.status), filters.q, agent=True, name="agent_search")
    if words is None or _NUMBER.match(" ".join(filters.q.split())):
        return [select(Case.id, Case.status).where(*conditions) for conditions in _condition_sets(filters, agent=agent)]
    others = _conditions(replace(filters, q=""), agent=agent)
    sides = [words.where(*others)]
    organizations = _organizations_side(filters.q)
    if organizations is not None:
        sides.append(select(Case.id, Case.status).where(*others, organizations))
    return sides


def search_condition(q: str) -> ColumnElement[bool]:
    """The cases an agent's search finds: by number, subject, any message (internal notes too) or organization.

    A whole case number finds that case only. Otherwise a case is found when its search document
    (``search_index``: number, subject, every message, the organization's name and numbers)
    holds every word, or when its organization is one whose name, customer number or enterprise
    number (in any spelling) the text finds, as the organization switcher finds them.
    """
    return _search_condition(q)


def _search_condition(q: str, *, per_case: bool = False) -> ColumnElement[bool]:
    return or_(*_search_sides(q, per_case=per_case))


def _search_sides(q: str, *, per_case: bool = False) -> list[ColumnElement[bool]]:
    """The conditions of ``search_condition``, a case being found by any of them."""
    q = " ".join(q.split())[:QUERY_MAX]
    if _NUMBER.match(q):
        return [Case.number == q.upper()]
    in_text = matching_cases(q, agent=True, name="agent_search", per_case=per_case)
    organizations = _organizations_side(q)
    return [in_text] if organizations is None else [in_text, organizations]


def _organizations_side(q: str) -> ColumnElement[bool] | None:
    """The cases of the organizations whose name, customer number or enterprise number ``q`` finds
    (None: ``q`` is no such search)."""
    from support_community.auth.models import PersonOrganization
    from support_community.auth.organizations import matching

    organizations = matching(" ".join(q.split())[:QUERY_MAX])
    if organizations is None:
        return None
    return Case.organization_id.in_(select(PersonOrganization.organization_id).where(organizations))


def _ordered(query: Select, filters: QueueFilters) -> Select:
    """The queue's order: the latest activity first, the highest severity first, or the soonest due first."""
    if filters.sort == "severity":
        # ``SEVERITY_RANK`` (highest first) as ``ix_cases_queue_severity`` holds it.
        return query.order_by(SEVERITY_RANK.desc(), Case.last_activity_at.desc(), Case.id)
    if filters.sort == "due":
        return query.order_by(*sla.due_order(), Case.last_activity_at.desc(), Case.id)
    return query.order_by(Case.last_activity_at.desc(), Case.id)


def _parts(sets: list[list[ColumnElement[bool]]], filters: QueueFilters, *, up_to: int) -> list[Select]:
    """The cases of each set of conditions up to ``up_to``, in the queue's order, as parts an index reads in order.

    Soonest due first, the cases with a due time and those without (by latest activity) are two
    parts, each in ``ix_cases_queue_due``'s own order: one sort of every open case otherwise (250 ms
    at a million cases). A single part needs no limit of its own (the page's is enough).
    """
    if filters.sort != "due":
        return [_ordered(select(Case.id).where(*conditions), filters).limit(up_to) for conditions in sets]
    parts = []
    for conditions in sets:
        due = select(Case.id).where(*conditions, Case.next_due_at.is_not(None))
        parts.append(due.order_by(Case.next_due_at, Case.last_activity_at.desc(), Case.id).limit(up_to))
        if filters.sla != "breaching":  # (a breaching case has a due time: none of the others would be)
            nothing_due = select(Case.id).where(*conditions, Case.next_due_at.is_(None))
            parts.append(nothing_due.order_by(Case.last_activity_at.desc(), Case.id).limit(up_to))
    return parts


def _column(column: Any, walk: bool) -> Any:
    """``column``, or when SQLite walks the order's index ``+cases.column``: the same values, through no index."""
    if not walk:
        return column
    return literal_column(f"+{Case.__tablename__}.{column.key}", type_=column.type)


def _statuses(filters: QueueFilters) -> tuple[Status, ...]:
    if filters.status == "open":
        return OPEN_STATUSES
    if filters.status == "all":
        return tuple(Status)
    return (Status(filters.status),)


def queue(filters: QueueFilters, *, agent: Person, page: int = 1, per_page: int = PER_PAGE) -> QueuePage:
    """One page of the queue and the counts per status (``_status_counts``): two queries, however many cases.

    When the counts stopped at ``COUNT_LIMIT`` (``capped``) the total is what is known (at least
    the cases up to this page, and one more when there is a next page), so pages go on past it.
    """
    counts, capped = _status_counts(filters, agent=agent)
    statuses = _statuses(filters)
    total = sum(counts.get(status, 0) for status in statuses)
    page = max(1, page)
    if not capped:  # (counted up to the limit: the pages go on as long as there are cases)
        page = min(page, max(1, -(-total // per_page)))

    # SQLite's planner gathers every case of the status (or the assignee) and sorts them; where
    # there are many, the query walks the index of the queue's order instead, checking the
    # status and the assignee from the index on the way (``+cases.status`` is looked up through
    # no index), and stops after a page. PostgreSQL's planner chooses that itself.
    walk = (capped or total >= WALK_FROM) and db.session.get_bind().dialect.name == "sqlite"
    walk = walk or _by_due_time(filters)
    sets = _condition_sets(filters, agent=agent, walk=walk)
    if filters.status != "all":
        sets = [[*conditions, _column(Case.status, walk).in_(statuses)] for conditions in sets]
    # The page's ids first (from an index that holds the order and the filters), then their rows.
    parts = _parts(sets, filters, up_to=page * per_page + 1)
    if len(parts) == 1:
        chosen = select(Case.id).where(*sets[0])
    else:
        # The cases up to this page's last of each part (in its order), then the page among them.
        either = union(*(select(part.subquery().c.id) for part in parts))
        chosen = select(Case.id).where(Case.id.in_(either.subquery().select()))
    chosen = _ordered(chosen, filters).limit(per_page + 1).offset((page - 1) * per_page)
    cases = list(db.session.scalars(_ordered(select(Case).where(Case.id.in_(chosen)), filters)).unique())
    if capped:
        # At least the cases before this page, on it, and one more when there is a next page.
        total = max(total, (page - 1) * per_page + len(cases))
    cases = cases[:per_page]
    return QueuePage(
        filters=filters, cases=cases, counts=counts, total=total, page=page, per_page=per_page, capped=capped
    )
