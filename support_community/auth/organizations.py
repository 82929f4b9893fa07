"""The person's organizations as the community keeps them: found, searched, paged, pinned, recently used.

Panda's list (``auth.access``) is kept as the person's ``PersonOrganization`` rows, so
an accountant with thousands of clients costs each request one indexed look-up of the
organization in the URL, never the whole list. The switcher, the new-case picker and
the cross-client list ask the database for one page (at most ``MAX_PER_PAGE``) or one
search; favourites and recent choices are ``OrganizationChoice`` rows, joined in.

A search finds an organization by its name (any part, any case), its customer number,
or its enterprise number in any spelling: ``0403.170.701``, ``BE0403170701``,
``403170701``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from stdnum.be import vat

from shared.database import utcnow
from support_community.auth.models import OrganizationChoice, PersonOrganization
from support_community.auth.session import OrganizationClaim
from support_community.extensions import db

PER_PAGE = 50
MAX_PER_PAGE = 100
RECENT = 5
QUERY_MAX = 100
MAX_PAGE = 1000


@dataclass(frozen=True)
class ListedOrganization:
    """An organization of the person's list as a page shows it: the claim's fields, and whether it is pinned."""

    id: str
    name: str
    enterprise_number: str
    customer_number: str
    role: str
    favourite: bool = False


@dataclass(frozen=True)
class OrganizationPage:
    items: list[ListedOrganization]
    total: int
    page: int
    per_page: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def enterprise_digits(number: str) -> str:
    """The ten digits of an enterprise number however it is written ("" when it has none)."""
    digits = re.sub(r"\D", "", vat.compact(number or "") if number else "")
    return digits[:16]


def normalized_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:QUERY_MAX]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching(query: str) -> ColumnElement[bool] | None:
    """The condition on ``PersonOrganization`` a search for ``query`` sets (None: no search)."""
    query = normalized_query(query)
    if not query:
        return None
    conditions = [PersonOrganization.name.ilike(_like(query), escape="\\")]
    compact = re.sub(r"[\s.\-/]", "", query)
    if compact[:2].lower() == "be":
        compact = compact[2:]
    if compact.isdigit():
        conditions.append(PersonOrganization.customer_number.like(_like(compact), escape="\\"))
        conditions.append(PersonOrganization.enterprise_digits.like(_like(compact), escape="\\"))
    else:
        conditions.append(PersonOrganization.customer_number.ilike(_like(query), escape="\\"))
    return or_(*conditions)


def _org_uuid(org_id: object) -> uuid.UUID | None:
    if isinstance(org_id, uuid.UUID):
        return org_id
    try:
        return uuid.UUID(str(org_id))
    except (ValueError, TypeError, AttributeError):
        return None


def _claim(row: PersonOrganization) -> OrganizationClaim:
    return OrganizationClaim(
        id=str(row.organization_id),
        name=row.name,
        enterprise_number=row.enterprise_number,
        customer_number=row.customer_number,
        role=row.role,
    )


def _listed(row: PersonOrganization, favourite: bool | None) -> ListedOrganization:
    return ListedOrganization(
        id=str(row.organization_id),
        name=row.name,
        enterprise_number=row.enterprise_number,
        customer_number=row.customer_number,
        role=row.role,
        favourite=bool(favourite),
    )


def find(sub: str, org_id: object) -> OrganizationClaim | None:
    """The organization ``org_id`` (any spelling of its UUID) if the person may act for it (one query)."""
    wanted = _org_uuid(org_id)
    if wanted is None:
        return None
    row = db.session.get(PersonOrganization, (sub, wanted))
    return _claim(row) if row is not None else None


def count(sub: str) -> int:
    return int(
        db.session.scalar(select(func.count()).select_from(PersonOrganization).where(PersonOrganization.sub == sub))
        or 0
    )


def only_one(sub: str) -> OrganizationClaim | None:
    """The person's organization when they have exactly one (a new case needs no choice then)."""
    rows = list(db.session.scalars(select(PersonOrganization).where(PersonOrganization.sub == sub).limit(2)))
    return _claim(rows[0]) if len(rows) == 1 else None


def _with_choices(sub: str):  # noqa: ANN202 (a Select of two entities)
    return select(PersonOrganization, OrganizationChoice.favourite).outerjoin(
        OrganizationChoice,
        and_(
            OrganizationChoice.sub == PersonOrganization.sub,
            OrganizationChoice.organization_id == PersonOrganization.organization_id,
        ),
    )


def search(
    sub: str, query: str = "", *, page: int = 1, per_page: int = PER_PAGE, total: int | None = None
) -> OrganizationPage:
    """One page of the person's organizations matching ``query``, by name.

    Two queries (the page and its total), one when the caller knows the ``total`` already.
    """
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = min(max(page, 1), MAX_PAGE)
    condition = matching(query)
    where = [PersonOrganization.sub == sub] + ([condition] if condition is not None else [])
    if total is None:
        total = int(db.session.scalar(select(func.count()).select_from(PersonOrganization).where(*where)) or 0)
    rows = db.session.execute(
        _with_choices(sub)
        .where(*where)
        .order_by(PersonOrganization.name, PersonOrganization.organization_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return OrganizationPage(
        items=[_listed(row, favourite) for row, favourite in rows], total=total, page=page, per_page=per_page
    )


def favourites(sub: str, *, limit: int = MAX_PER_PAGE) -> list[ListedOrganization]:
    """The organizations the person pinned that are still in their list, by name."""
    rows = db.session.scalars(
        select(PersonOrganization)
        .join(
            OrganizationChoice,
            and_(
                OrganizationChoice.sub == PersonOrganization.sub,
                OrganizationChoice.organization_id == PersonOrganization.organization_id,
            ),
        )
        .where(PersonOrganization.sub == sub, OrganizationChoice.favourite.is_(True))
        .order_by(PersonOrganization.name, PersonOrganization.organization_id)
        .limit(limit)
    )
    return [_listed(row, True) for row in rows]


def recent(sub: str, *, limit: int = RECENT) -> list[ListedOrganization]:
    """The organizations the person chose last (newest first) that are still in their list."""
    rows = db.session.execute(
        select(PersonOrganization, OrganizationChoice.favourite)
        .join(
            OrganizationChoice,
            and_(
                OrganizationChoice.sub == PersonOrganization.sub,
                OrganizationChoice.organization_id == PersonOrganization.organization_id,
            ),
        )
        .where(PersonOrganization.sub == sub, OrganizationChoice.last_used_at.is_not(None))
        .order_by(OrganizationChoice.last_used_at.desc(), PersonOrganization.organization_id)
        .limit(limit)
    ).all()
    return [_listed(row, favourite) for row, favourite in rows]


def _upsert(sub: str, org_id: uuid.UUID, **values: object) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    defaults: dict[str, object] = {"favourite": False, "last_used_at": None}
    db.session.execute(
        insert(OrganizationChoice)
        .values(sub=sub, organization_id=org_id, **(defaults | values))
        .on_conflict_do_update(index_elements=["sub", "organization_id"], set_=values)
    )


def remember_use(sub: str, org_id: object) -> None:
    """The person chose the organization now (it moves to the top of "used recently")."""
    wanted = _org_uuid(org_id)
    if wanted is not None and find(sub, wanted) is not None:
        _upsert(sub, wanted, last_used_at=utcnow())


def set_favourite(sub: str, org_id: object, *, favourite: bool) -> None:
    """Pin (or unpin) an organization of the person's list; the caller checked it is in the list."""
    wanted = _org_uuid(org_id)
    if wanted is None:
        return
    if favourite:
        _upsert(sub, wanted, favourite=True)
    else:
        db.session.execute(
            update(OrganizationChoice)
            .where(OrganizationChoice.sub == sub, OrganizationChoice.organization_id == wanted)
            .values(favourite=False)
        )
    db.session.flush()


def names(sub: str, org_ids: set[uuid.UUID]) -> dict[uuid.UUID, PersonOrganization]:
    """The person's rows of these organizations (a page of cases names them): one query, also for none."""
    rows = db.session.scalars(
        select(PersonOrganization).where(
            PersonOrganization.sub == sub, PersonOrganization.organization_id.in_(sorted(org_ids))
        )
    )
    return {row.organization_id: row for row in rows}


@dataclass(frozen=True)
class MenuLists:
    """What the "Switch organization" menu shows: the whole list when it is short, else pins and recent choices."""

    total: int
    complete: list[ListedOrganization]
    favourites: list[ListedOrganization]
    recent: list[ListedOrganization]


def menu(sub: str, *, limit: int, total: int) -> MenuLists:
    """Up to ``limit`` organizations: all of them when there are no more, else favourites, then recent ones.

    One query whatever the number of organizations (``total``, the person's count, is known already).
    """
    if total <= limit:
        return MenuLists(
            total=total, complete=search(sub, per_page=max(limit, 1), total=total).items, favourites=[], recent=[]
        )
    rows = db.session.execute(
        _with_choices(sub)
        .add_columns(OrganizationChoice.last_used_at)
        .where(
            PersonOrganization.sub == sub,
            or_(OrganizationChoice.favourite.is_(True), OrganizationChoice.last_used_at.is_not(None)),
        )
        .order_by(
            OrganizationChoice.favourite.desc(),
            OrganizationChoice.last_used_at.desc(),
            PersonOrganization.organization_id,
        )
        .limit(limit + RECENT)
    ).all()
    pinned = sorted(
        (_listed(row, True) for row, favourite, _used in rows if favourite), key=lambda org: (org.name, org.id)
    )[:limit]
    used = [_listed(row, False) for row, favourite, used_at in rows if not favourite and used_at is not None]
    return MenuLists(total=total, complete=[], favourites=pinned, recent=used[:RECENT])
