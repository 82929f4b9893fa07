"""What a person may do in a client (``orgs`` and ``roles``), and the version of that list.

A client keeps the list Panda last gave it and needs to know whether a list it
receives later is newer. ``orgs_snapshot`` gives the list with a number that only
grows: the person's row in ``oidc_orgs_versions`` for that client is locked first,
then the list is read, and the version goes up by one when the list's digest differs
from the stored one. Two snapshots for the same person and client are therefore
serialized by the database, and the one with the higher version was read later. No
change has to announce itself for this to hold: whatever changed the list (a
membership, a grant, a disabled account, the support agent flag) changes its digest.

Tokens carry only the version (``orgs_version``): the list itself can be hundreds
of kilobytes, far beyond what a header or a URL may carry. The list travels in the
userinfo response and in the access read of ``views.access``.

A token needs only the version, and reading an accountant's list of thousands of
organizations at every refresh would cost more than the rest of the refresh together
(``bench/README.md``). So ``orgs_version`` (for tokens) reads the list only when the
version row says it may have changed (and reads the row without locking it when it says
nothing did). Whatever writes a row the list is made of marks
the person's version rows in the same transaction by emptying their digest
(``mark_changed``): every flush of a membership, an application grant, an organization
or an account that changes a column the list or the roles depend on, and every ORM
``INSERT``/``UPDATE``/``DELETE`` statement on those tables (``_note_flushed_changes``,
``_note_bulk_changes``), whether or not the change announces itself with a signal. The
next token then reads the list. As a last resort, for a change made outside the ORM
(plain SQL by an operator), a list compared more than ``RECHECK_SECONDS`` ago is read
again. The userinfo response, the access read and the access events always read it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, bindparam, event, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.oidc import claims
from panda_portal.oidc.models import OidcClient, OrgsVersion
from panda_portal.organizations.models import ApplicationGrant, Membership, Organization
from shared.database import utcnow

# A list compared longer ago than this is read again for a token, changed or not (a change
# made outside the ORM is not seen by ``mark_changed``'s watchers).
RECHECK_SECONDS = 300

# More people, memberships or organizations than this in one flush (an import, demo data):
# every version row is marked rather than a statement with that many parameters.
MAX_NAMED = 500

# What a person's list or roles are made of: a change of any of these marks their versions.
WATCHED_ATTRIBUTES: dict[type, tuple[str, ...]] = {
    Membership: ("status", "role", "account_id", "organization_id", "grants"),
    Organization: ("name", "enterprise_number", "customer_number"),
    Account: ("is_support_agent", "disabled_at", "email_verified_at"),
}


@dataclass(frozen=True)
class OrgsSnapshot:
    """The ``orgs`` and ``roles`` Panda tells a client about a person now, and their version."""

    version: int
    orgs: list[dict[str, str]] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(orgs: list[dict[str, str]], roles: list[str]) -> str:
    canonical = _CANONICAL.encode({"orgs": orgs, "roles": roles})
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class _VersionRow:
    version: int
    digest: str
    changed_at: dt.datetime


def _upsert_version(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO UPDATE … RETURNING`` of a version row, built once per dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_VERSIONS).values(
        account_id=bindparam("person"),
        client_pk=bindparam("client"),
        version=0,
        digest="",
        changed_at=bindparam("now"),
    )
    # An existing row is "updated" to itself, which locks it (on PostgreSQL as SELECT … FOR
    # UPDATE would; SQLite's transaction holds the database's write lock anyway), and its
    # columns come back.
    return statement.on_conflict_do_update(
        index_elements=["account_id", "client_pk"], set_={"version": _VERSIONS.c.version}
    ).returning(_VERSIONS.c.version, _VERSIONS.c.digest, _VERSIONS.c.changed_at)


_VERSIONS = cast(Table, OrgsVersion.__table__)
_UPSERT_VERSION = {dialect: _upsert_version(dialect) for dialect in ("postgresql", "sqlite")}
_READ_VERSION = select(_VERSIONS.c.version, _VERSIONS.c.digest, _VERSIONS.c.changed_at).where(
    _VERSIONS.c.account_id == bindparam("person"), _VERSIONS.c.client_pk == bindparam("client")
)


def _locked_version(account: claims.Person, client: OidcClient) -> _VersionRow:
    """The person's version row for the client, created if missing, locked until the transaction ends."""
    # One statement built once, on the connection, as columns: nothing to track in the session.
    connection = db.session.connection()
    version, stored, changed_at = connection.execute(
        _UPSERT_VERSION[connection.dialect.name], {"person": account.id, "client": client.id, "now": utcnow()}
    ).one()
    return _VersionRow(version=version, digest=stored, changed_at=changed_at)


def orgs_snapshot(account: claims.Person, client: OidcClient) -> OrgsSnapshot:
    """The person's ``orgs`` and ``roles`` for ``client`` with their version (see the module's doc).

    A disabled account may do nothing anywhere: its list is empty.
    """
    return _compared(account, client, _locked_version(account, client))


def orgs_version(account: claims.Person, client: OidcClient) -> int:
    """The version of the person's list for ``client``, for a token: the list is read only when it may have changed.

    When the row says the list was compared lately and nothing changed since, its version is
    read without a lock and without a write: a token only carries the number. A change
    committed meanwhile gives the next token a newer one, as if this read had come first
    (with the lock, the change would have waited for this transaction, with the same
    outcome for this token). Every refresh of a person no longer waits for the others on
    that row (PostgreSQL), nor writes it.
    """
    connection = db.session.connection()
    found = connection.execute(_READ_VERSION, {"person": account.id, "client": client.id}).first()
    if found is not None and _still_valid(found.digest, found.changed_at):
        return found.version
    row = _locked_version(account, client)
    if _still_valid(row.digest, row.changed_at):  # compared by another request meanwhile
        return row.version
    return _compared(account, client, row).version


def _still_valid(stored_digest: str, changed_at: dt.datetime) -> bool:
    return bool(stored_digest) and utcnow() - changed_at < dt.timedelta(seconds=RECHECK_SECONDS)


def _compared(account: claims.Person, client: OidcClient, row: _VersionRow) -> OrgsSnapshot:
    """Read the list, and give it a new version when it differs from the one ``row`` (locked) describes."""
    if account.is_active:
        orgs, roles = claims.orgs_claim(account, client), claims.roles_claim(account)
    else:
        orgs, roles = [], []
    current = digest(orgs, roles)
    now = utcnow()
    version = row.version
    changes: dict[str, Any] = {}
    if current != row.digest:
        version += 1
        changes = {"version": version, "digest": current, "changed_at": now}
    elif now - row.changed_at >= dt.timedelta(seconds=RECHECK_SECONDS / 2):
        changes = {"changed_at": now}  # compared now: tokens may rely on it for a while
    if changes:
        db.session.execute(
            update(OrgsVersion)
            .where(OrgsVersion.account_id == account.id, OrgsVersion.client_pk == client.id)
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
    return OrgsSnapshot(version=version, orgs=orgs, roles=roles)


def mark_changed(account: Account) -> None:
    """The person's access changed (in this transaction): every client's list is read again for the next token."""
    _mark(db.session, OrgsVersion.account_id == account.id)


def _mark(session: Session, which: ColumnElement[bool]) -> None:
    # On the connection, not through the session: this runs inside flushes and ORM statements.
    session.connection().execute(update(OrgsVersion).where(which).values(digest=""))


def _members_of(condition: ColumnElement[bool]) -> Select:
    return select(Membership.account_id).where(condition)


def _changed(obj: object) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in WATCHED_ATTRIBUTES[type(obj)])


@event.listens_for(Session, "before_flush")
def _note_flushed_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Mark the versions of everyone whose list this flush can change (see the module's doc)."""
    accounts: set[uuid.UUID] = set()
    memberships: set[uuid.UUID] = set()
    organizations: set[uuid.UUID] = set()
    for obj in chain(session.new, session.deleted, session.dirty):
        if isinstance(obj, Membership):
            if obj in session.dirty and not _changed(obj):
                continue
            account_id = obj.account_id or (obj.account.id if obj.account is not None else None)
            if account_id is not None:
                accounts.add(account_id)
        elif isinstance(obj, ApplicationGrant):
            if obj.membership_id is not None:
                memberships.add(obj.membership_id)
            elif obj.membership is not None and obj.membership.account_id is not None:
                accounts.add(obj.membership.account_id)
        elif isinstance(obj, Organization) and obj not in session.new:
            if obj in session.deleted or _changed(obj):
                organizations.add(obj.id)
        elif isinstance(obj, Account) and obj in session.dirty and _changed(obj):
            accounts.add(obj.id)
    if max(len(accounts), len(memberships), len(organizations)) > MAX_NAMED:
        _mark(session, OrgsVersion.digest != "")  # an import: everyone's list is read again
        return
    if accounts:
        _mark(session, OrgsVersion.account_id.in_(accounts))
    if memberships:
        _mark(session, OrgsVersion.account_id.in_(_members_of(Membership.id.in_(memberships))))
    if organizations:
        _mark(session, OrgsVersion.account_id.in_(_members_of(Membership.organization_id.in_(organizations))))


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: ORMExecuteState) -> None:
    """An ORM ``INSERT``/``UPDATE``/``DELETE`` statement on what lists are made of marks the people it may touch."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    entity = mapper.class_ if mapper is not None else None
    if entity not in (Membership, Organization, Account, ApplicationGrant):
        return
    statement: Any = state.statement
    if state.is_insert:
        _note_bulk_insert(state, entity)
        return
    if state.is_update and entity in WATCHED_ATTRIBUTES:
        values = getattr(statement, "_values", None) or {}
        names = {getattr(key, "key", key) for key in values}
        if names and not names & set(WATCHED_ATTRIBUTES[entity]):
            return  # e.g. when a member last opened the organization: not part of any list
    where = statement.whereclause
    if where is None:
        _mark(state.session, OrgsVersion.digest != "")
    elif entity is Membership:
        _mark(state.session, OrgsVersion.account_id.in_(_members_of(where)))
    elif entity is Account:
        _mark(state.session, OrgsVersion.account_id.in_(select(Account.id).where(where)))
    elif entity is Organization:
        orgs = select(Organization.id).where(where)
        _mark(state.session, OrgsVersion.account_id.in_(_members_of(Membership.organization_id.in_(orgs))))
    else:
        grants = select(ApplicationGrant.membership_id).where(where)
        _mark(state.session, OrgsVersion.account_id.in_(_members_of(Membership.id.in_(grants))))


def _note_bulk_insert(state: ORMExecuteState, entity: type) -> None:
    """New memberships or grants inserted by statement (not by a flush): mark their people."""
    if entity not in (Membership, ApplicationGrant):
        return  # a new organization has no members yet, a new account no versions
    rows: Any = state.parameters
    if isinstance(rows, dict):
        rows = [rows]
    values = getattr(state.statement, "_values", None) or {}
    if values:
        rows = [*(rows or []), {getattr(key, "key", key): value for key, value in values.items()}]
    column = "account_id" if entity is Membership else "membership_id"
    ids = {row.get(column) for row in rows or [] if isinstance(row, dict)}
    if not ids or None in ids or not all(isinstance(value, uuid.UUID) for value in ids):
        _mark(state.session, OrgsVersion.digest != "")  # cannot tell whose: everyone's list is read again
    elif len(ids) > MAX_NAMED:
        _mark(state.session, OrgsVersion.digest != "")
    elif entity is Membership:
        _mark(state.session, OrgsVersion.account_id.in_(ids))
    else:
        _mark(state.session, OrgsVersion.account_id.in_(_members_of(Membership.id.in_(ids))))
