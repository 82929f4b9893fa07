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
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.oidc import claims
from panda_portal.oidc.models import OidcClient, OrgsVersion
from shared.database import utcnow


@dataclass(frozen=True)
class OrgsSnapshot:
    """The ``orgs`` and ``roles`` Panda tells a client about a person now, and their version."""

    version: int
    orgs: list[dict[str, str]] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


def digest(orgs: list[dict[str, str]], roles: list[str]) -> str:
    canonical = json.dumps({"orgs": orgs, "roles": roles}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _locked_version(account: Account, client: OidcClient) -> OrgsVersion:
    """The person's version row for the client, created if missing, locked until the transaction ends."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(OrgsVersion)
        .values(account_id=account.id, client_pk=client.id, version=0, digest="", changed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["account_id", "client_pk"])
    )
    return db.session.execute(
        select(OrgsVersion)
        .where(OrgsVersion.account_id == account.id, OrgsVersion.client_pk == client.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def orgs_snapshot(account: Account, client: OidcClient) -> OrgsSnapshot:
    """The person's ``orgs`` and ``roles`` for ``client`` with their version (see the module's doc).

    A disabled account may do nothing anywhere: its list is empty.
    """
    row = _locked_version(account, client)
    if account.is_active:
        orgs, roles = claims.orgs_claim(account, client), claims.roles_claim(account)
    else:
        orgs, roles = [], []
    current = digest(orgs, roles)
    if current != row.digest:
        row.version += 1
        row.digest = current
        row.changed_at = utcnow()
        db.session.flush()
    return OrgsSnapshot(version=row.version, orgs=orgs, roles=roles)
