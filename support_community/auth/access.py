"""Which organizations a person may act for here, and with which roles: the community's copy of Panda's word.

Every request (``session.current_user``) and every mail (``cases.emails.delivery``)
reads the person's ``PersonAccess`` and ``PersonOrganization`` rows. Panda's word
reaches them four ways, each ordered by Panda's ``orgs_version`` (a number that only
grows with the list, ``panda_portal.oidc.access``):

* at sign-in, from userinfo;
* when an access token is renewed and carries a newer ``orgs_version``, from userinfo;
* on "Switch organization", from userinfo;
* when Panda's access event says the list changed (``accept_access_event``): the
  organizations it names as withdrawn are dropped at once and committed, then the whole
  list is read with the access read (``POST /access``, as this client).

``store`` keeps a list only if its version is newer than the one kept, under a lock of
the person's row, so two reads finishing in the wrong order cannot bring an old list
back. A list that could not be read after an event stays marked stale: nothing the
event withdrew comes back, nothing new appears, until a read succeeds (the next request
of the person tries again, so does Panda's outbox).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from werkzeug.local import LocalProxy

from shared.database import utcnow
from support_community.auth import signals
from support_community.auth.models import PersonAccess, PersonOrganization, SeenLogoutToken
from support_community.auth.organizations import enterprise_digits
from support_community.auth.provider import ProviderUnavailable, panda
from support_community.auth.session import OrganizationClaim, forget_lookups
from support_community.auth.tokens import CLOCK_LEEWAY, EVERYTHING, validate_access_event
from support_community.extensions import db

log = logging.getLogger(__name__)

SUPPORT_AGENT = "support_agent"
# No more held-back organizations than this are kept for a person (they only explain).
MAX_HELD_BACK = 200


@dataclass(frozen=True)
class Access:
    """What the community knows a person may do: ``known`` is False before Panda ever said anything."""

    known: bool
    roles: tuple[str, ...] = ()
    orgs: tuple[OrganizationClaim, ...] = ()
    stale: bool = False

    @property
    def is_support_agent(self) -> bool:
        return SUPPORT_AGENT in self.roles


# -- reading ----------------------------------------------------------------------------------------
def access_of(sub: str) -> Access:
    """The person's roles and organizations (sorted by name) as kept here; two queries."""
    row = db.session.get(PersonAccess, sub)
    if row is None:
        return Access(known=False)
    orgs = [
        OrganizationClaim(
            id=str(org.organization_id),
            name=org.name,
            enterprise_number=org.enterprise_number,
            customer_number=org.customer_number,
            role=org.role,
        )
        for org in db.session.scalars(select(PersonOrganization).where(PersonOrganization.sub == sub))
    ]
    return Access(
        known=True,
        roles=tuple(str(role) for role in row.roles or []),
        orgs=tuple(sorted(orgs, key=lambda org: (org.name.lower(), org.id))),
        stale=row.stale_since is not None,
    )


def is_known(sub: str) -> bool:
    """Whether Panda ever told the community what the person may do."""
    return db.session.get(PersonAccess, sub) is not None


def roles_of(sub: str) -> tuple[str, ...]:
    row = db.session.get(PersonAccess, sub)
    return tuple(str(role) for role in row.roles or []) if row is not None else ()


def holds(sub: str, organization_id: uuid.UUID | str) -> bool:
    """Whether the person may act for the organization, as kept here."""
    try:
        wanted = organization_id if isinstance(organization_id, uuid.UUID) else uuid.UUID(str(organization_id))
    except ValueError:
        return False
    return (
        db.session.scalar(
            select(PersonOrganization.sub).where(
                PersonOrganization.sub == sub, PersonOrganization.organization_id == wanted
            )
        )
        is not None
    )


def needs_reading(sub: str) -> bool:
    """Nothing is known of the person yet, or Panda said their list changed and it was not read since."""
    row = db.session.get(PersonAccess, sub)
    return row is None or row.stale_since is not None


# -- writing ----------------------------------------------------------------------------------------
def _app() -> Flask:
    return cast("LocalProxy[Flask]", current_app)._get_current_object()


def _locked(sub: str) -> PersonAccess:
    """The person's row, created if missing, locked until the transaction ends."""
    dialect = db.session.get_bind().dialect.name
    insert_row = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert_row(PersonAccess).values(sub=sub, roles=[]).on_conflict_do_nothing(index_elements=["sub"])
    )
    return db.session.execute(
        select(PersonAccess).where(PersonAccess.sub == sub).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def _entries(orgs: Iterable[Any]) -> dict[uuid.UUID, dict[str, str]]:
    """The readable entries of an ``orgs`` list by organization id (an unreadable entry grants nothing)."""
    entries: dict[uuid.UUID, dict[str, str]] = {}
    for item in orgs:
        if not isinstance(item, Mapping):
            continue
        try:
            organization_id = uuid.UUID(str(item["id"]))
            name = str(item["name"])
        except (KeyError, ValueError, TypeError):
            continue
        entries[organization_id] = {
            "name": name[:300],
            "enterprise_number": str(item.get("enterprise_number") or "")[:32],
            "customer_number": str(item.get("customer_number") or "")[:32],
            "role": str(item.get("role") or "member")[:16],
            "enterprise_digits": enterprise_digits(str(item.get("enterprise_number") or "")),
        }
    return entries


def _announce(sub: str, *, withdrawn: set[uuid.UUID], everything: bool, roles: list[str]) -> None:
    forget_lookups()
    signals.access_changed.send(
        _app(), sub=sub, withdrawn=frozenset(withdrawn), everything=everything, roles=tuple(roles)
    )


def held_back_entries(items: Any) -> list[dict[str, str]]:
    """The readable entries of Panda's ``held_back`` list (``[{"id", "name", "reason"}]``), sorted by name."""
    entries: dict[str, dict[str, str]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        try:
            organization_id = str(uuid.UUID(str(item["id"])))
            name = str(item["name"])[:300]
        except (KeyError, ValueError, TypeError):
            continue
        entries[organization_id] = {"id": organization_id, "name": name, "reason": str(item.get("reason") or "")[:40]}
        if len(entries) >= MAX_HELD_BACK:
            break
    return sorted(entries.values(), key=lambda entry: (entry["name"].lower(), entry["id"]))


def held_back_of(sub: str) -> list[dict[str, str]]:
    """The organizations Panda holds back from the person's list, as kept here (explanations only)."""
    row = db.session.get(PersonAccess, sub)
    return held_back_entries(row.held_back) if row is not None else []


def store(sub: str, *, orgs: Any, roles: Any, version: int | None, held_back: Any = None) -> bool:
    """Keep Panda's list for ``sub`` unless a list as new (a version as high) is kept already.

    Returns whether anything was written. ``version`` None (a provider that gives none)
    is kept whatever was kept before. ``held_back`` (what Panda holds back, and why) is
    not part of the version: it is kept with a list of the same version too.
    """
    row = _locked(sub)
    if version is not None and row.orgs_version is not None and version <= row.orgs_version:
        if row.stale_since is not None and row.pending_version is not None and version >= row.pending_version:
            row.stale_since = row.pending_version = None  # the read confirms what is kept
            db.session.flush()
        if version == row.orgs_version:
            kept_held_back = held_back_entries(held_back)
            if kept_held_back != held_back_entries(row.held_back):
                row.held_back = kept_held_back
                db.session.flush()
        return False
    entries = _entries(orgs if isinstance(orgs, list) else [])
    new_roles = [str(role) for role in roles] if isinstance(roles, list) else []
    kept = set(db.session.scalars(select(PersonOrganization.organization_id).where(PersonOrganization.sub == sub)))
    db.session.execute(delete(PersonOrganization).where(PersonOrganization.sub == sub))
    if entries:
        db.session.execute(
            insert(PersonOrganization),
            [{"sub": sub, "organization_id": org_id, **entry} for org_id, entry in entries.items()],
        )
    lost_roles = set(row.roles or []) - set(new_roles)
    row.orgs_version = version
    row.roles = new_roles
    row.held_back = held_back_entries(held_back)
    row.read_at = utcnow()
    if row.pending_version is None or (version is not None and version >= row.pending_version):
        row.stale_since = row.pending_version = None
    db.session.flush()
    forget_lookups()
    withdrawn = kept - set(entries)
    if withdrawn or lost_roles:
        _announce(sub, withdrawn=withdrawn, everything=False, roles=new_roles)
    return True


def forget(sub: str) -> None:
    """Panda knows nobody by ``sub`` (any more): they may do nothing here."""
    row = _locked(sub)
    had = bool(db.session.scalar(select(PersonOrganization.sub).where(PersonOrganization.sub == sub).limit(1)))
    db.session.execute(delete(PersonOrganization).where(PersonOrganization.sub == sub))
    row.roles = []
    row.held_back = []
    row.orgs_version = None
    row.stale_since = row.pending_version = None
    row.read_at = utcnow()
    db.session.flush()
    if had:
        _announce(sub, withdrawn=set(), everything=True, roles=[])


def withdraw(sub: str, organization_ids: Iterable[str], *, version: int) -> bool:
    """What an access event withdrew is gone at once, and the list is marked stale until it is read.

    Nothing happens when a list as new as ``version`` is kept already (an old or repeated event).
    """
    row = _locked(sub)
    if row.orgs_version is not None and version <= row.orgs_version:
        return False
    ids = set(organization_ids)
    everything = EVERYTHING in ids
    lost: set[uuid.UUID] = set()
    if everything:
        lost = set(db.session.scalars(select(PersonOrganization.organization_id).where(PersonOrganization.sub == sub)))
        db.session.execute(delete(PersonOrganization).where(PersonOrganization.sub == sub))
        row.roles = []
        row.held_back = []
    else:
        for value in ids:
            try:
                lost.add(uuid.UUID(value))
            except ValueError:
                continue
        if lost:
            db.session.execute(
                delete(PersonOrganization).where(
                    PersonOrganization.sub == sub, PersonOrganization.organization_id.in_(lost)
                )
            )
    row.stale_since = row.stale_since or utcnow()
    row.pending_version = max(version, row.pending_version or 0)
    db.session.flush()
    if lost or everything:
        _announce(sub, withdrawn=lost, everything=everything, roles=list(row.roles or []))
    return True


# -- reading from Panda -----------------------------------------------------------------------------
def read_from_panda(sub: str) -> None:
    """Read the person's list with Panda's access read and keep it (``ProviderUnavailable`` when Panda is away)."""
    answer = panda().read_access(sub)
    if answer is None:
        forget(sub)
        return
    version = answer.get("orgs_version")
    store(
        sub,
        orgs=answer.get("orgs"),
        roles=answer.get("roles"),
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        held_back=answer.get("held_back"),
    )


def refresh_if_needed(sub: str) -> None:
    """Before a request uses the list: read it when nothing is known yet or Panda said it changed.

    When Panda cannot be reached the list stays as kept (stale: without what was withdrawn).
    """
    if not needs_reading(sub):
        return
    try:
        read_from_panda(sub)
    except ProviderUnavailable as exc:
        log.warning("access of %s not read again, Panda unavailable: %s", sub, exc)


# -- access events ----------------------------------------------------------------------------------
class UnknownPerson(Exception):
    """An access event about someone the community has never seen: nothing to do."""


def accept_access_event(token: str) -> None:
    """Act on Panda's access event (``panda_portal.oidc.events``); the caller commits.

    The organizations it withdraws are dropped and committed first, so they are refused
    from now on whatever happens next; then the whole list is read from Panda. Raises
    ``AccessEventInvalid`` (also for a replayed ``jti``), ``ProviderUnavailable`` (the
    read failed: the event is answered 503 and Panda's outbox sends it again), and
    ``UnknownPerson`` for someone who never signed in here since the community keeps
    lists (their list is read when they sign in, or before a mail to them leaves).
    """
    provider = panda()
    max_age = int(current_app.config["BACKCHANNEL_LOGOUT_MAX_AGE"])
    event = validate_access_event(token, provider=provider, max_age=max_age)
    if not first_sighting(provider.issuer, event.jti, event.issued_at, max_age):
        from support_community.auth.tokens import AccessEventInvalid

        raise AccessEventInvalid("jti seen before")
    if db.session.get(PersonAccess, event.sub) is None:
        raise UnknownPerson(event.sub)
    withdraw(event.sub, event.withdrawn, version=event.version)
    db.session.commit()
    read_from_panda(event.sub)


def first_sighting(issuer: str, jti: str, issued_at: int, max_age: int) -> bool:
    """Record the ``jti`` of a signed message from Panda (logout token, access or account event, data
    request); False when it was seen before (a replay). Kept until the message is too old anyway."""
    db.session.execute(delete(SeenLogoutToken).where(SeenLogoutToken.expires_at <= utcnow()))
    seen = SeenLogoutToken(
        id=hashlib.sha256(f"{issuer}\n{jti}".encode()).hexdigest(),
        expires_at=dt.datetime.fromtimestamp(issued_at, dt.UTC) + dt.timedelta(seconds=max_age + 2 * CLOCK_LEEWAY),
    )
    try:
        with db.session.begin_nested():
            db.session.add(seen)
            db.session.flush()
    except IntegrityError:
        return False
    return True
