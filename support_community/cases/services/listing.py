"""Lists of cases: an organization's (filter, search, sort, pages) and "All my clients".

Each list is one query for its rows (and one for its total), whatever the filters, the
page or the number of organizations: the opener, product and category come with the
case (joined), and the organizations of "All my clients" are a sub-query of the
person's rows of ``person_organizations`` (``auth.access``), never a list of ids. Pages are counted by offset, up to
``MAX_PAGE``; beyond that a search or a filter finds a case faster than paging. The totals
per status are summed from ``case_status_counts`` (a few rows per organization, kept by the
database), and a list filtered by status alone takes its total from them.

Full-text search reads each case's search document (``cases.search_index``: a
``tsvector`` per case with GIN indexes on PostgreSQL, FTS5 on SQLite), the customers' part
of it only: customers' searches never look at internal notes. The sorts by severity and by
status follow the expression indexes ``ix_cases_severity_rank`` and ``ix_cases_status_rank``
(``models.SEVERITY_RANK``/``STATUS_RANK``), with the case's id as the tie-breaker. On
PostgreSQL "All my clients" by opening date merges each organization's first cases
(``_merged_by_organization``); on SQLite a search for words in many of the person's cases is
counted from the full-text index and its page walks the list's order (``cases_across``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    any_,
    bindparam,
    false,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import QueryableAttribute

from support_community.cases.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    STATUS_RANK,
    Case,
    CaseStatusCount,
    MessageKind,
    Person,
    Severity,
    Status,
)
from support_community.cases.search_index import join_matching, matching_cases
from support_community.extensions import db

PER_PAGE = 25
MAX_PAGE = 200
QUERY_MAX = 200
# A list's total is counted up to this many: beyond it the page says "more than".
TOTAL_MAX = 10_000
# A full-text search's total: counting its matches checks each case's document (PostgreSQL: the
# person's cases one by one until this many hold the words; for a word in one case in seventeen of
# an accountant's, 1,000 took 130 ms at a million cases, 200 take 15), and "more than 200" says
# enough: the pages go on as long as there are cases (``has_next``).
SEARCH_TOTAL_MAX = 200
# SQLite refuses statements with more bound values than this (its default limit is 32766).
SQLITE_BOUND_VALUES = 30_000

SORTS = ("activity", "created", "severity", "status", "number")
# "All my clients" shows open cases unless asked for these (or a single status).
ANY_STATUS = "any"
DIRECTIONS = ("desc", "asc")
CUSTOMER_SEARCHABLE = (MessageKind.DESCRIPTION, MessageKind.REPLY)
_NUMBER = re.compile(r"^CS-\d{4}-\d{1,9}$", re.IGNORECASE)


@dataclass(frozen=True)
class CaseFilters:
    """What a list asks for; ``forms.listing.case_filters`` builds it from the query string (whitelisted)."""

    status: str = ""  # "", "open" or a Status value
    severity: str = ""  # "" or a Severity value
    product: str = ""  # "" or a product key
    opener: str = ""  # "", "me" or a person's sub
    q: str = ""
    sort: str = "activity"
    direction: str = "desc"
    page: int = 1
    organization: str = ""  # "All my clients" only: an organization id or a text to match

    @property
    def is_filtered(self) -> bool:
        return bool(self.status or self.severity or self.product or self.opener or self.q or self.organization)


@dataclass
class CasePage:
    cases: list[Case]
    page: int
    per_page: int
    has_next: bool
    total: int | None = None  # the cases the filters find, over every page (up to total_limit + 1)
    total_limit: int = 0  # counted up to this many (TOTAL_MAX, or SEARCH_TOTAL_MAX for a search)

    @property
    def total_is_exact(self) -> bool:
        return self.total is not None and self.total <= (self.total_limit or TOTAL_MAX)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def is_last_allowed(self) -> bool:
        return self.page >= MAX_PAGE


def _page(query: Select, filters: CaseFilters) -> CasePage:
    page = min(max(filters.page, 1), MAX_PAGE)
    rows = list(db.session.scalars(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).unique())
    return CasePage(cases=rows[:PER_PAGE], page=page, per_page=PER_PAGE, has_next=len(rows) > PER_PAGE)


def total_from_statuses(totals: dict[Status, int] | None, filters: CaseFilters, *, across: bool) -> int | None:
    """The list's total read off the totals per status, when only the status filters it (else None)."""
    if totals is None or filters.q or filters.severity or filters.product or filters.opener or filters.organization:
        return None
    if filters.status == "open" or (across and filters.status == ""):
        return sum(totals[status] for status in OPEN_STATUSES)
    if filters.status in ("", ANY_STATUS):
        return sum(totals.values())
    try:
        return totals[Status(filters.status)]
    except (ValueError, KeyError):
        return None


# SQLite's planner does not know how many of the cases are the person's: for an accountant with
# tens of thousands it gathers them all by organization and sorts them. From this many on, the
# query walks the index of the list's order instead and stops after a page (PostgreSQL's planner
# makes that choice itself, from its statistics).
WALK_FROM = 2_000
# The indexes of the sorts (``ordered``), the case's id as the tie-breaker, status and organization beside it.
SORT_INDEXES = {
    "activity": "ix_cases_activity",
    "created": "ix_cases_created",
    "severity": "ix_cases_severity_rank",
    "status": "ix_cases_status_rank",
    "number": "the unique index of cases.number",
}


def _walks(candidates: int | None) -> bool:
    """Whether SQLite should walk the sort's index (see ``WALK_FROM``)."""
    return candidates is not None and candidates >= WALK_FROM and db.session.get_bind().dialect.name == "sqlite"


def _not_for_lookup(column: QueryableAttribute[Any]) -> ColumnElement[Any]:
    """``+cases.column``: SQLite then uses no index to look the condition up, and walks the sort's index
    (``SORT_INDEXES``) checking it on the way; the same condition, the same results."""
    return literal_column(f"+{Case.__tablename__}.{column.key}", type_=column.type)


def _candidates(totals: dict[Status, int] | None, filters: CaseFilters) -> int | None:
    """How many cases the person's list holds before any filter but the status (None: unknown)."""
    if totals is None:
        return None
    if filters.status == ANY_STATUS:
        return sum(totals.values())
    if filters.status in ("", "open"):
        return sum(totals[status] for status in OPEN_STATUSES)
    try:
        return totals[Status(filters.status)]
    except (ValueError, KeyError):
        return None


def _sorted_page(
    query: Select,
    filters: CaseFilters,
    *,
    with_total: bool,
    known_total: int | None = None,
    chosen: Select | None = None,
) -> CasePage:
    """One page of the (unordered) ``query`` sorted as ``filters`` say, and its total up to ``TOTAL_MAX``.

    The page's ids are chosen first, without the joined opener, product and category,
    and only those rows are read whole: sorting thousands of cases costs no joins. Still
    one statement for the rows, one for the total. ``chosen``: the page's ids, when another
    query chooses them better than ``query`` in order (``_merged_by_organization``).
    """
    page = min(max(filters.page, 1), MAX_PAGE)
    total = known_total
    limit = SEARCH_TOTAL_MAX if _full_text(filters.q) else TOTAL_MAX
    if total == 0:
        return CasePage(cases=[], page=page, per_page=PER_PAGE, has_next=False, total=0, total_limit=limit)
    if chosen is None:
        chosen = ordered(query.with_only_columns(Case.id), filters).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    rows = list(db.session.scalars(ordered(select(Case).where(Case.id.in_(chosen)), filters)).unique())
    if with_total and total is None:
        counted = query.with_only_columns(Case.id).limit(limit + 1).subquery()
        total = int(db.session.scalar(select(func.count()).select_from(counted)) or 0)
    return CasePage(
        cases=rows[:PER_PAGE],
        page=page,
        per_page=PER_PAGE,
        has_next=len(rows) > PER_PAGE,
        total=total,
        total_limit=limit,
    )


def _status_condition(
    status: str,
    *,
    allowed: Sequence[Status] | None = None,
    column: ColumnElement[Any] | QueryableAttribute[Any] | None = None,
) -> ColumnElement[bool] | None:
    column = Case.status if column is None else column
    if status == "open":
        return column.in_(OPEN_STATUSES)
    try:
        wanted = Status(status)
    except ValueError:
        return None
    if allowed is not None and wanted not in allowed:
        return false()
    return column == wanted


def _full_text(q: str) -> str:
    """The words of a full-text search in ``q`` ("" for no search, or for a case number)."""
    q = q.strip()[:QUERY_MAX]
    return "" if not q or _NUMBER.match(q) else q


def _search_total(unsearched: Select, q: str) -> int | None:
    """SQLite: how many of the cases ``unsearched`` finds hold the words of ``q``, up to one more than
    ``SEARCH_TOTAL_MAX``, read from the full-text index one case at a time (None: not SQLite).

    The conditions of ``unsearched`` should leave SQLite no index on ``cases`` to look them up
    through (``_not_for_lookup``), so that it starts from the words' index and stops at the limit.
    """
    joined = join_matching(unsearched.with_only_columns(Case.id), q)
    if joined is None:
        return None
    counted = joined.limit(SEARCH_TOTAL_MAX + 1).subquery()
    return int(db.session.scalar(select(func.count()).select_from(counted)) or 0)


def _search_condition(
    q: str, org_id: uuid.UUID | None, *, per_case: bool = False, seek: bool = False
) -> ColumnElement[bool] | None:
    q = q.strip()[:QUERY_MAX]
    if not q:
        return None
    if _NUMBER.match(q):
        # A case number names one case: looking for it in every text as well costs a scan, finds nothing more.
        return Case.number == q.upper()
    # The case's search document (``search_index``): number, subject and the messages customers see.
    return matching_cases(q, agent=False, per_case=per_case, seek=seek)


def ordered(query: Select, filters: CaseFilters) -> Select:
    column = {
        "activity": Case.last_activity_at,
        "created": Case.created_at,
        "severity": SEVERITY_RANK,
        "status": STATUS_RANK,
        "number": Case.number,
    }.get(filters.sort, Case.last_activity_at)
    if filters.direction == "asc":
        return query.order_by(column.asc(), Case.id.asc())
    return query.order_by(column.desc(), Case.id.desc())


def organization_cases(
    org_id: uuid.UUID | str,
    filters: CaseFilters,
    *,
    viewer_sub: str,
    with_total: bool = False,
    totals: dict[Status, int] | None = None,
) -> CasePage:
    """One page of the organization's cases (one query; two ``with_total`` unless ``totals`` per status give it)."""
    known = total_from_statuses(totals, filters, across=False) if with_total else None
    candidates = _candidates(totals, replace(filters, status=filters.status or ANY_STATUS))
    few = candidates is not None and candidates < WALK_FROM
    per_case = few
    if with_total and known is None and not few and _full_text(filters.q):
        unsearched = organization_query(org_id, replace(filters, q=""), viewer_sub=viewer_sub, walk=True)
        known = _search_total(unsearched, filters.q)
        # (see ``cases_across``: the words are in more than a thousand of the cases, walk their order)
        per_case = known is not None and known > SEARCH_TOTAL_MAX
    query = organization_query(org_id, filters, viewer_sub=viewer_sub, few_cases=per_case, seek=few)
    return _sorted_page(query, filters, with_total=with_total, known_total=known)


def organization_query(
    org_id: uuid.UUID | str,
    filters: CaseFilters,
    *,
    viewer_sub: str,
    few_cases: bool = False,
    walk: bool = False,
    seek: bool = False,
) -> Select:
    """The organization's cases the filters find, unordered (a page, its total and the CSV export use it).

    ``few_cases``: the organization has a few hundred cases, not thousands, or the words are in
    more than a thousand of them; a search then checks each case walked (SQLite) rather than
    reading every case of every organization the words find; ``seek``: a few hundred of them, each
    looked up in the words' index (``matching_cases``). ``walk``: the organization and the status
    are looked up through no index (``_search_total`` starts from the words' index).
    """
    org_uuid = org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id))
    organization_column = _not_for_lookup(Case.organization_id) if walk else Case.organization_id
    query = select(Case).where(organization_column == org_uuid)
    status = _status_condition(filters.status, column=_not_for_lookup(Case.status) if walk else None)
    if status is not None:
        query = query.where(status)
    if filters.severity in {s.value for s in Severity}:
        query = query.where(Case.severity == Severity(filters.severity))
    if filters.product:
        query = query.where(Case.product_key == filters.product)
    if filters.opener == "me":
        query = query.where(Case.opened_by_sub == viewer_sub)
    elif filters.opener:
        query = query.where(Case.opened_by_sub == filters.opener)
    search = _search_condition(filters.q, org_uuid, per_case=few_cases, seek=seek)
    if search is not None:
        query = query.where(search)
        _plan_for_these_values()
    return query


def _plan_for_these_values() -> None:
    """Let PostgreSQL plan the search for this organization and these words, not from a cached plan.

    A statement run often is prepared, and PostgreSQL may then reuse a generic plan made
    for an average organization and an average word: for an organization with tens of
    thousands of cases that plan reads every one of them (hundreds of milliseconds)
    where the plan for the actual values uses both indexes (a few). ``SET LOCAL`` ends
    with the request's transaction.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


OPENERS_MAX = 500


def openers(org_id: uuid.UUID | str) -> list[Row]:
    """``(sub, name)`` of the people who opened cases of the organization, by name (the "opened by" choices).

    At most ``OPENERS_MAX``: beyond that a select is no help, and "opened by me" still works.
    """
    org_uuid = org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id))
    subs = select(Case.opened_by_sub).where(Case.organization_id == org_uuid).distinct()
    return list(
        db.session.execute(
            select(Person.sub, Person.name)
            .where(Person.sub.in_(subs))
            .order_by(Person.name, Person.sub)
            .limit(OPENERS_MAX)
        )
    )


def _persons_organizations(
    sub: str, organization: str = "", *, column: ColumnElement[uuid.UUID] | QueryableAttribute[uuid.UUID] | None = None
) -> ColumnElement[bool]:
    """``column`` among the person's organizations (``auth.access``'s rows), optionally only the one
    whose id is ``organization`` or those a search for it finds: one condition, whatever their number."""
    column = Case.organization_id if column is None else column
    return column.in_(_their_organizations(sub, organization))


def _their_organizations(sub: str, organization: str = "") -> Select:
    """The ids of the person's organizations (see ``_persons_organizations``), as a SELECT."""
    from support_community.auth.models import PersonOrganization
    from support_community.auth.organizations import matching

    theirs = select(PersonOrganization.organization_id).where(PersonOrganization.sub == sub)
    if organization:
        try:
            theirs = theirs.where(PersonOrganization.organization_id == uuid.UUID(organization))
        except ValueError:
            condition = matching(organization)
            if condition is not None:
                theirs = theirs.where(condition)
    return theirs


def across_query(
    sub: str,
    filters: CaseFilters,
    *,
    walk: bool = False,
    per_case: bool = False,
    seek: bool = False,
    organization: ColumnElement[uuid.UUID] | None = None,
) -> Select:
    """The cases of every organization the person may act for that the filters find, unordered.

    Without a status filter only open cases; ``any`` adds the solved and closed ones (the history).
    ``walk`` (SQLite, a person with thousands of cases): the organization and status are checked
    while walking the sort's index rather than looked up first. ``per_case`` (SQLite, words in more
    than a thousand of the person's cases, or the organization filter leaves a few hundred cases):
    each case walked has its document checked, looked up in the words' index with ``seek``.
    ``organization``: the cases of this one of the person's organizations (the outer column of a
    ``LATERAL``, see ``_merged_by_organization``) instead.
    """
    organization_column = _not_for_lookup(Case.organization_id) if walk else Case.organization_id
    status_column = _not_for_lookup(Case.status) if walk else Case.status
    if organization is not None:
        query = select(Case).where(Case.organization_id == organization)
    else:
        query = select(Case).where(_persons_organizations(sub, filters.organization, column=organization_column))
    if filters.status != ANY_STATUS:
        status = _status_condition(filters.status, column=status_column) if filters.status else None
        query = query.where(status if status is not None else status_column.in_(OPEN_STATUSES))
    if filters.severity in {s.value for s in Severity}:
        query = query.where(Case.severity == Severity(filters.severity))
    if filters.opener == "me":
        query = query.where(Case.opened_by_sub == sub)
    # A search is looked up from the search index even then, unless the words are common among the
    # person's cases (``per_case``): a rare word is found at once, where walking would check every case
    # of the person (SQLite: 0.3 ms against hundreds for 100,000 cases).
    search = _search_condition(filters.q, None, per_case=per_case, seek=seek)
    if search is not None:
        query = query.where(search)
        _plan_for_these_values()
    return query


def cases_across(sub: str, filters: CaseFilters, *, totals: dict[Status, int] | None = None) -> CasePage:
    """One page of "All my clients", sorted as asked, with its total (two queries, whatever the organizations;
    one when ``totals`` per status give the total; with the organization filter, the chosen organizations'
    totals per status first)."""
    if filters.organization:
        # The chosen organizations' own totals: the list's total when only the status filters it
        # besides, and how many cases SQLite would walk past (one organization's 50 among a million).
        totals = status_totals(sub, organization=filters.organization)
        known = total_from_statuses(totals, replace(filters, organization=""), across=True)
    else:
        known = total_from_statuses(totals, filters, across=True)
    candidates = _candidates(totals, filters)
    few = candidates is not None and candidates < WALK_FROM and _full_text(filters.q) != ""
    per_case = few
    if known is None and _full_text(filters.q) and not few:
        # SQLite: the total first, counted from the words' index (up to SEARCH_TOTAL_MAX). When the words
        # are in more of the person's cases than that, the page walks the list's order checking each
        # case's document and stops after a page (2.5 ms for a word in 12,500 of 100,000 cases) instead of
        # reading and sorting every case found (52 ms and more); a rarer word's cases are read and sorted.
        known = _search_total(across_query(sub, replace(filters, q=""), walk=True), filters.q)
        per_case = known is not None and known > SEARCH_TOTAL_MAX
    query = across_query(sub, filters, walk=_walks(candidates), per_case=per_case, seek=few)
    chosen = _merged_by_organization(sub, filters) if _merges_by_organization(filters) else None
    return _sorted_page(query, filters, with_total=True, known_total=known, chosen=chosen)


def _merges_by_organization(filters: CaseFilters) -> bool:
    """Whether the page is taken from each organization's first cases (``_merged_by_organization``):
    oldest first, without full-text search.

    Newest first keeps walking ``ix_cases_created`` (1 ms where the merge takes 20): the newest
    cases are those of the organizations at work, the person's among them; the oldest may be years
    of other organizations' history.
    """
    return filters.sort == "created" and filters.direction == "asc" and not _full_text(filters.q)


_END_OF_TIME = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def _merged_by_organization(sub: str, filters: CaseFilters) -> Select:
    """The ids of the page's cases, oldest first, taken from the first cases of each of the person's
    organizations (plus one, to know whether a next page exists).

    Walking ``ix_cases_created`` from the oldest stops after a page when the person's cases are
    spread among the others; where the other organizations' cases are all older (a million
    cases, the person's the last tenth), it reads every one of those first (480 ms on
    PostgreSQL, 210 on SQLite). Here, from ``ix_cases_org_created`` (organization, opening
    date, id, status) alone:

    1. each organization's first case (its *head*): one index entry each;
    2. the k-th oldest head, k being the cases up to this page's last (plus one): at least k cases
       are that old, so no case of the page is younger, and an organization whose head is younger
       has none on it;
    3. the cases of each remaining organization up to that date, merged: on PostgreSQL the first
       k of each (a ``LATERAL`` per organization), on SQLite, which has no ``LATERAL``, all of
       them (one range of the index each; the heads are correlated sub-queries there).

    About 1,900 look-ups of one entry and a few hundred short reads, whatever the others' dates
    and however deep the page; without step 2, page 4 read every case of every organization.
    """
    page = min(max(filters.page, 1), MAX_PAGE)
    wanted = page * PER_PAGE + 1
    theirs = _their_organizations(sub, filters.organization).subquery("theirs")

    def firsts(organization: ColumnElement[uuid.UUID], *columns: Any) -> Select:
        return ordered(across_query(sub, filters, organization=organization).with_only_columns(*columns), filters)

    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        head = firsts(theirs.c.organization_id, Case.created_at).limit(1).lateral("head")
        heads = (
            select(theirs.c.organization_id, head.c.created_at.label("created_at"))
            .select_from(theirs)
            .join(head, true())
            .cte("heads")
        )
    else:
        first = firsts(theirs.c.organization_id, Case.created_at).limit(1).scalar_subquery()
        heads = select(theirs.c.organization_id, first.label("created_at")).select_from(theirs).cte("heads")
    # No bound (the end of time) when the person has fewer organizations with a case than ``wanted``
    # (SQLite: an organization without a case has a NULL head).
    kth = (
        select(heads.c.created_at)
        .where(heads.c.created_at.is_not(None))
        .order_by(heads.c.created_at)
        .offset(wanted - 1)
        .limit(1)
        .correlate(None)
    )
    bound = func.coalesce(kth.scalar_subquery(), literal(_END_OF_TIME, Case.created_at.type))
    if not postgres:
        merged = firsts(heads.c.organization_id, Case.id).where(heads.c.created_at <= bound, Case.created_at <= bound)
        # (its own ``cases``, not the one of the statement it chooses the page's ids for)
        return merged.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE).correlate(None)
    cases = (
        firsts(heads.c.organization_id, Case.id, Case.created_at)
        .where(Case.created_at <= bound)
        .limit(wanted)
        .lateral("cases")
    )
    return (
        select(cases.c.id)
        .select_from(heads)
        .join(cases, true())
        .where(heads.c.created_at <= bound)
        .order_by(cases.c.created_at.asc(), cases.c.id.asc())
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    )


def status_totals(sub: str, org_id: uuid.UUID | None = None, *, organization: str = "") -> dict[Status, int]:
    """How many cases of the person's organizations (or of one, ``org_id``, or of those ``organization``
    chooses as "All my clients"' filter does) have each status (one query).

    Read off ``case_status_counts`` (at most five rows per organization, kept by the database
    as cases change), not off the cases: the same few milliseconds for 100 or 100,000 cases.
    """
    organizations = (
        CaseStatusCount.organization_id == org_id
        if org_id is not None
        else _persons_organizations(sub, organization, column=CaseStatusCount.organization_id)
    )
    counted = select(CaseStatusCount.status, func.sum(CaseStatusCount.total)).where(organizations)
    rows = db.session.execute(counted.group_by(CaseStatusCount.status))
    totals = dict.fromkeys(Status, 0)
    for status, number in rows:
        totals[Status(status)] = int(number or 0)
    return totals


# -- open cases of a list of organizations given by id (``bench/cases_list.py`` measures it) ----------
def organization_among(org_ids: Sequence[uuid.UUID]) -> ColumnElement[bool]:
    """``organization_id`` among ``org_ids`` as one bound value (PostgreSQL) or a list SQLite accepts."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return Case.organization_id == any_(
            bindparam("org_ids", list(org_ids), type_=postgresql.ARRAY(Case.organization_id.type))
        )
    if len(org_ids) > SQLITE_BOUND_VALUES:
        # Written into the statement itself (ids are UUIDs: nothing to escape) instead of bound values.
        return Case.organization_id.in_(bindparam("org_ids", list(org_ids), expanding=True, literal_execute=True))
    return Case.organization_id.in_(list(org_ids))


def open_cases_across(org_ids: Sequence[uuid.UUID | str], filters: CaseFilters) -> CasePage:
    """One page of the open cases of all ``org_ids``, newest activity first (one query).

    The pages use ``cases_across`` (the person's organizations as a sub-query); this form, with the
    ids given, stays for callers that hold a list of organizations themselves.
    """
    ids = []
    for org_id in org_ids:
        try:
            ids.append(org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id)))
        except ValueError:
            continue
    if not ids:
        return CasePage(cases=[], page=1, per_page=PER_PAGE, has_next=False)
    query = select(Case).where(organization_among(ids))
    status = _status_condition(filters.status, allowed=OPEN_STATUSES) if filters.status not in ("", "open") else None
    query = query.where(status if status is not None else Case.status.in_(OPEN_STATUSES))
    if filters.severity in {s.value for s in Severity}:
        query = query.where(Case.severity == Severity(filters.severity))
    query = query.order_by(Case.last_activity_at.desc(), Case.id.desc())
    return _page(query, filters)
